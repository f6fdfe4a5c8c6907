/*
 * fixedpoint-harness.c - runs the functions of eenn_fixedpoint.h over a file of test vectors on the host, for the
 * differential test against src/quantize/fixedpoint.ts (test/quantize/fixedpoint.test.ts).
 *
 * Usage: fixedpoint-harness VECTORS OUT
 *   VECTORS: records of 16 little-endian int32 (see fixedpoint-ops.h).
 *   OUT:     one int32 per record, the result.
 */
#include <stdio.h>

#include "fixedpoint-ops.h"

#define CHUNK_RECORDS 4096

int main(int argc, char **argv)
{
    static int32_t records[CHUNK_RECORDS * FIXEDPOINT_RECORD_WORDS];
    static int32_t results[CHUNK_RECORDS];
    FILE *in;
    FILE *out;
    size_t count;

    if (argc != 3)
    {
        fprintf(stderr, "usage: fixedpoint-harness VECTORS OUT\n");
        return 2;
    }
    in = fopen(argv[1], "rb");
    out = fopen(argv[2], "wb");
    if (in == NULL || out == NULL)
    {
        fprintf(stderr, "fixedpoint-harness: cannot open %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    while ((count = fread(records, sizeof(int32_t) * FIXEDPOINT_RECORD_WORDS, CHUNK_RECORDS, in)) > 0)
    {
        size_t i;
        for (i = 0; i < count; i++) { results[i] = fixedpoint_run_record(&records[i * FIXEDPOINT_RECORD_WORDS]); }
        if (fwrite(results, sizeof(int32_t), count, out) != count)
        {
            fprintf(stderr, "fixedpoint-harness: write failed\n");
            return 2;
        }
    }
    fclose(in);
    return fclose(out) == 0 ? 0 : 2;
}
