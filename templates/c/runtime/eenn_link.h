/*
 * eenn_link.h - the link between the devices of a multi-device build: the node sends the tensor at the cut to the
 * gateway, one frame per sample, and the gateway checks every frame before it runs on it.
 *
 * A frame, all fields little-endian:
 *   offset 0   2 bytes  magic 0xEE 0x4C (EENN_LINK_MAGIC_0, EENN_LINK_MAGIC_1)
 *   offset 2   1 byte   type: EENN_LINK_TYPE_TENSOR (1) or EENN_LINK_TYPE_END (2: the node has no more samples)
 *   offset 3   1 byte   reserved, 0
 *   offset 4   uint32   model hash: EENN_LINK_MODEL_HASH of the projects, the same in the node's and the gateway's
 *   offset 8   uint32   sequence number: the node's sample index
 *   offset 12  uint32   payload length: the cut tensor's bytes for a tensor frame, 0 for an end frame
 *   offset 16  payload
 *   then       uint32   CRC-32 (eenn_crc32.h) of the header and the payload
 *
 * The receiver hunts for the magic byte by byte, so that it finds the next frame after any error (resync). It
 * waits as long as it takes for a frame's first byte; every byte after it must come within EENN_LINK_TIMEOUT_MS
 * of the one before. A bad type or length is reported without reading a payload.
 *
 * The bytes travel through three hooks, which the application provides (or a ready implementation:
 * eenn_link_uart_cmsdk.c for the CMSDK APB UART of Arm's MPS2/MPS3 boards, eenn_link_host.c for a TCP socket
 * on the host): eenn_link_init, eenn_link_send and eenn_link_recv.
 */
#ifndef EENN_LINK_H
#define EENN_LINK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The two bytes every frame starts with ("ee" of eenn, "L" of link). */
#define EENN_LINK_MAGIC_0 0xEEu
#define EENN_LINK_MAGIC_1 0x4Cu
#define EENN_LINK_MAGIC_BYTES 2u

/* Frame types. */
#define EENN_LINK_TYPE_TENSOR 1u /* the cut tensor of one sample */
#define EENN_LINK_TYPE_END 2u    /* the node has no more samples; no payload */

/* Sizes: the header before the payload, the CRC after it, and what a frame adds to its payload. */
#define EENN_LINK_HEADER_BYTES 16u
#define EENN_LINK_CRC_BYTES 4u
#define EENN_LINK_OVERHEAD_BYTES (EENN_LINK_HEADER_BYTES + EENN_LINK_CRC_BYTES)

/* Offsets of the header's fields. */
#define EENN_LINK_OFFSET_TYPE 2u
#define EENN_LINK_OFFSET_RESERVED 3u
#define EENN_LINK_OFFSET_HASH 4u
#define EENN_LINK_OFFSET_SEQUENCE 8u
#define EENN_LINK_OFFSET_LENGTH 12u

/* Status codes of every link function. */
#define EENN_LINK_OK 0        /* done */
#define EENN_LINK_E_TIMEOUT 1 /* a frame stopped short: no byte for EENN_LINK_TIMEOUT_MS */
#define EENN_LINK_E_CRC 2     /* the CRC does not match the header and payload: bytes were corrupted or lost */
#define EENN_LINK_E_LENGTH 3  /* the payload length is not the one this model's frames have */
#define EENN_LINK_E_MODEL 4   /* a whole frame of another model or cut (its model hash differs) */
#define EENN_LINK_E_TYPE 5    /* an unknown frame type, or a reserved byte that is not 0 */
#define EENN_LINK_E_IO 6      /* the transport failed (closed socket, hardware error) */

/* A sequence number not known (the frame's header was not read). */
#define EENN_LINK_SEQUENCE_UNKNOWN 0xFFFFFFFFu

/* eenn_link_recv's timeout that waits as long as it takes. */
#define EENN_LINK_WAIT_FOREVER 0u

/* The inter-byte timeout inside a frame, in milliseconds; the Makefile passes its LINK_TIMEOUT_MS. */
#ifndef EENN_LINK_TIMEOUT_MS
#define EENN_LINK_TIMEOUT_MS 1000u
#endif

/* ---------------------------------------------------------------- the transport's hooks */

/** Prepare the transport (configure the UART, connect the socket). Called once before any other link call. */
void eenn_link_init(void);

/** Send `length` bytes. Returns EENN_LINK_OK, or EENN_LINK_E_IO when the transport failed. */
int32_t eenn_link_send(const uint8_t *data, uint32_t length);

/**
 * Receive exactly `length` bytes into `data`, each within `timeout_ms` milliseconds of the one before (of the call
 * for the first); `timeout_ms` EENN_LINK_WAIT_FOREVER (0) waits as long as it takes. Returns EENN_LINK_OK, EENN_LINK_E_TIMEOUT or EENN_LINK_E_IO.
 */
int32_t eenn_link_recv(uint8_t *data, uint32_t length, uint32_t timeout_ms);

/**
 * Counter ticks (eenn_platform.h) eenn_link_recv spent waiting for bytes that had not arrived yet, summed since
 * start-up: a transport that can tell adds to it (eenn_link_uart_cmsdk.c), others
 * leave it 0. eenn_link_recv_frame reports each frame's share, so that the work of receiving can be told from the
 * wait for the sender (which depends on the line, or under emulation on the host's speed).
 */
extern uint64_t eenn_link_wait_ticks;

/* ---------------------------------------------------------------- frames (eenn_link.c) */

/** What eenn_link_recv_frame learnt of a frame, whether it was good or not. */
typedef struct eenn_link_frame {
    uint32_t type;        /* EENN_LINK_TYPE_*, or 0 when the header was not read */
    uint32_t sequence;    /* the header's sequence number, or EENN_LINK_SEQUENCE_UNKNOWN */
    uint32_t length;      /* the header's payload length (0 when not read) */
    uint32_t bytes;       /* bytes taken from the link for this frame, from its magic on */
    uint64_t start_ticks; /* eenn_counter_read() when the frame's first byte had arrived */
    uint64_t wait_ticks;  /* of eenn_link_wait_ticks, the ticks spent waiting for this frame's later bytes */
} eenn_link_frame_t;

/**
 * Send one frame: the header with `model_hash`, `type` and `sequence`, `length` bytes of `payload` (none for an
 * end frame: `payload` may then be 0), then the CRC. Returns EENN_LINK_OK or EENN_LINK_E_IO.
 */
int32_t eenn_link_send_frame(uint32_t model_hash, uint32_t type, uint32_t sequence, const uint8_t *payload,
                             uint32_t length);

/**
 * Receive the next frame: hunt for the magic (waiting as long as it takes), then read the header, check it, read
 * the payload into `payload` and check the CRC. A tensor frame must carry exactly `payload_bytes` bytes and an end
 * frame none; `model_hash` is the hash every frame must carry. Fills `frame` in every case, and returns
 * EENN_LINK_OK for a good frame (tensor or end), else the error: EENN_LINK_E_TYPE, EENN_LINK_E_LENGTH or
 * EENN_LINK_E_MODEL (a bad header: the payload is not read, and the header's bytes after the magic are searched
 * again for the next frame), EENN_LINK_E_TIMEOUT, EENN_LINK_E_CRC, or EENN_LINK_E_IO. After any error the next
 * call hunts for the next frame. `payload` holds `payload_bytes` bytes; its contents are undefined after an error.
 */
int32_t eenn_link_recv_frame(uint32_t model_hash, uint8_t *payload, uint32_t payload_bytes, eenn_link_frame_t *frame);

#ifdef __cplusplus
}
#endif

#endif /* EENN_LINK_H */
