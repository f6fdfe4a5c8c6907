/*
 * eenn_link.c - frames of the multi-device link (eenn_link.h) on top of the transport's hooks: building and
 * sending them, and receiving them with the magic hunt, the header checks, the CRC and the inter-byte timeout.
 */
#include "eenn_link.h"

#include "eenn_crc32.h"
#include "eenn_platform.h"

/* Header bytes after the magic: what a bad header gives back to the hunt. */
#define HEADER_AFTER_MAGIC (EENN_LINK_HEADER_BYTES - EENN_LINK_MAGIC_BYTES)

/*
 * Bytes taken from the link but not used yet: the header of a frame refused for its type, length or model is
 * searched again for the next frame's magic (a false magic in garbage must not swallow a real frame's start).
 */
static struct {
    uint8_t bytes[HEADER_AFTER_MAGIC];
    uint32_t count;
    uint32_t next;
} replay;

uint64_t eenn_link_wait_ticks;

/** Store `value` little-endian at `out`. */
static void put_u32(uint8_t *out, uint32_t value)
{
    out[0] = (uint8_t)value;
    out[1] = (uint8_t)(value >> 8);
    out[2] = (uint8_t)(value >> 16);
    out[3] = (uint8_t)(value >> 24);
}

/** The little-endian uint32 at `in`. */
static uint32_t get_u32(const uint8_t *in)
{
    return (uint32_t)in[0] | ((uint32_t)in[1] << 8) | ((uint32_t)in[2] << 16) | ((uint32_t)in[3] << 24);
}

int32_t eenn_link_send_frame(uint32_t model_hash, uint32_t type, uint32_t sequence, const uint8_t *payload,
                             uint32_t length)
{
    uint8_t header[EENN_LINK_HEADER_BYTES];
    header[0] = (uint8_t)EENN_LINK_MAGIC_0;
    header[1] = (uint8_t)EENN_LINK_MAGIC_1;
    header[EENN_LINK_OFFSET_TYPE] = (uint8_t)type;
    header[EENN_LINK_OFFSET_RESERVED] = 0u;
    put_u32(&header[EENN_LINK_OFFSET_HASH], model_hash);
    put_u32(&header[EENN_LINK_OFFSET_SEQUENCE], sequence);
    put_u32(&header[EENN_LINK_OFFSET_LENGTH], length);

    uint32_t crc = eenn_crc32_update(EENN_CRC32_INIT, header, sizeof header);
    if (length != 0u) {
        crc = eenn_crc32_update(crc, payload, length);
    }
    uint8_t trailer[EENN_LINK_CRC_BYTES];
    put_u32(trailer, crc ^ EENN_CRC32_FINAL_XOR);

    if (eenn_link_send(header, sizeof header) != EENN_LINK_OK) {
        return EENN_LINK_E_IO;
    }
    if (length != 0u && eenn_link_send(payload, length) != EENN_LINK_OK) {
        return EENN_LINK_E_IO;
    }
    return eenn_link_send(trailer, sizeof trailer) == EENN_LINK_OK ? EENN_LINK_OK : EENN_LINK_E_IO;
}

/** Receive `length` bytes as eenn_link_recv does, the bytes given back to the hunt first. */
static int32_t read_bytes(uint8_t *data, uint32_t length, uint32_t timeout_ms)
{
    uint32_t done = 0u;
    while (done < length && replay.next < replay.count) {
        data[done++] = replay.bytes[replay.next++];
    }
    if (done == length) {
        return EENN_LINK_OK;
    }
    const int32_t status = eenn_link_recv(&data[done], length - done, timeout_ms);
    return status == EENN_LINK_OK || status == EENN_LINK_E_TIMEOUT ? status : EENN_LINK_E_IO;
}

/**
 * Give the header's bytes after the magic back to the hunt. The replay is always used up by then: the hunt took at
 * least the two magic bytes from it, so the header needed more than it held.
 */
static void give_back_header(const uint8_t *header)
{
    for (uint32_t i = 0u; i < HEADER_AFTER_MAGIC; i++) {
        replay.bytes[i] = header[EENN_LINK_MAGIC_BYTES + i];
    }
    replay.count = HEADER_AFTER_MAGIC;
    replay.next = 0u;
}

/**
 * Wait for the magic, byte by byte, as long as it takes; notes when its first byte arrived, and the waiting so far
 * in `waited` (to count only the frame's own).
 */
static int32_t hunt_magic(eenn_link_frame_t *frame, uint64_t *waited)
{
    uint8_t byte = 0u;
    uint32_t seen_first = 0u;
    for (;;) {
        const int32_t status = read_bytes(&byte, 1u, EENN_LINK_WAIT_FOREVER);
        if (status != EENN_LINK_OK) {
            return status;
        }
        if (seen_first && byte == EENN_LINK_MAGIC_1) {
            return EENN_LINK_OK;
        }
        seen_first = byte == EENN_LINK_MAGIC_0;
        if (seen_first) {
            frame->start_ticks = eenn_counter_read();
            *waited = eenn_link_wait_ticks;
        }
    }
}

/** The rest of a frame after its magic: header, checks, payload, CRC (eenn_link_recv_frame). */
static int32_t recv_rest(uint32_t model_hash, uint8_t *payload, uint32_t payload_bytes, eenn_link_frame_t *frame)
{
    int32_t status;
    uint8_t header[EENN_LINK_HEADER_BYTES];
    header[0] = (uint8_t)EENN_LINK_MAGIC_0;
    header[1] = (uint8_t)EENN_LINK_MAGIC_1;
    frame->bytes = EENN_LINK_MAGIC_BYTES;
    status = read_bytes(&header[EENN_LINK_MAGIC_BYTES], HEADER_AFTER_MAGIC, EENN_LINK_TIMEOUT_MS);
    if (status != EENN_LINK_OK) {
        return status;
    }
    frame->bytes = EENN_LINK_HEADER_BYTES;
    const uint32_t type = header[EENN_LINK_OFFSET_TYPE];
    const uint32_t hash = get_u32(&header[EENN_LINK_OFFSET_HASH]);
    const uint32_t length = get_u32(&header[EENN_LINK_OFFSET_LENGTH]);
    frame->type = type;
    frame->sequence = get_u32(&header[EENN_LINK_OFFSET_SEQUENCE]);
    frame->length = length;

    if ((type != EENN_LINK_TYPE_TENSOR && type != EENN_LINK_TYPE_END) || header[EENN_LINK_OFFSET_RESERVED] != 0u) {
        give_back_header(header);
        return EENN_LINK_E_TYPE;
    }
    const uint32_t expected_length = type == EENN_LINK_TYPE_TENSOR ? payload_bytes : 0u;
    if (length != expected_length) {
        /* A wrong hash as well: a whole frame of another model, not one corrupted field. */
        give_back_header(header);
        return hash != model_hash ? EENN_LINK_E_MODEL : EENN_LINK_E_LENGTH;
    }

    if (length != 0u) {
        status = read_bytes(payload, length, EENN_LINK_TIMEOUT_MS);
        if (status != EENN_LINK_OK) {
            return status;
        }
        frame->bytes += length;
    }
    uint8_t trailer[EENN_LINK_CRC_BYTES];
    status = read_bytes(trailer, sizeof trailer, EENN_LINK_TIMEOUT_MS);
    if (status != EENN_LINK_OK) {
        return status;
    }
    frame->bytes += EENN_LINK_CRC_BYTES;

    uint32_t crc = eenn_crc32_update(EENN_CRC32_INIT, header, sizeof header);
    if (length != 0u) {
        crc = eenn_crc32_update(crc, payload, length);
    }
    if ((crc ^ EENN_CRC32_FINAL_XOR) != get_u32(trailer)) {
        return EENN_LINK_E_CRC;
    }
    /* The CRC holds, so the hash arrived as sent: the frame is another model's. */
    return hash == model_hash ? EENN_LINK_OK : EENN_LINK_E_MODEL;
}

int32_t eenn_link_recv_frame(uint32_t model_hash, uint8_t *payload, uint32_t payload_bytes, eenn_link_frame_t *frame)
{
    frame->type = 0u;
    frame->sequence = EENN_LINK_SEQUENCE_UNKNOWN;
    frame->length = 0u;
    frame->bytes = 0u;
    frame->start_ticks = 0u;
    frame->wait_ticks = 0u;

    uint64_t waited = 0u;
    int32_t status = hunt_magic(frame, &waited);
    if (status != EENN_LINK_OK) {
        return status;
    }
    status = recv_rest(model_hash, payload, payload_bytes, frame);
    frame->wait_ticks = eenn_link_wait_ticks - waited;
    return status;
}
