/*
 * eenn_exit_s8.c - the decision after an int8 exit head: does the model stop at this exit? Integer arithmetic
 * only, on the head's int8 scores and a rule the compiler computed from their scale and the threshold
 * (src/exits/rule.ts states every formula; src/exits/decide.ts is the same decision in TypeScript, bit for bit).
 *
 * Logits: S = sum of exp_table[q_max - q] (exp_table[0] stands for 1), so the largest softmax probability is
 * exp_table[0] / S.
 * Probabilities (a softmax output): the scores compared directly, or summed through a -p ln p table.
 * Each function returns 1 when the exit is taken, 0 when the model goes on.
 */
#include "eenn_kernels_s8.h"

/* Fraction bits of the log2 (in bits) and of the margin's threshold. */
#define EENN_EXIT_LOG_BITS 24
#define EENN_EXIT_MARGIN_BITS 20
/* The log2 table's step: the 8 bits after the leading one index it, the next 15 interpolate. */
#define EENN_EXIT_LOG2_INDEX_BITS 8
#define EENN_EXIT_LOG2_FRACTION_BITS 15

/* round(2^24 log2(1 + i / 256)) for i in [0, 256] (src/exits/rule.ts, LOG2_TABLE). */
static const uint32_t eenn_exit_log2_table[(1 << EENN_EXIT_LOG2_INDEX_BITS) + 1] = {
    0u,
    94364u,
    188362u,
    281996u,
    375270u,
    468185u,
    560745u,
    652952u,
    744810u,
    836320u,
    927485u,
    1018309u,
    1108793u,
    1198939u,
    1288752u,
    1378232u,
    1467383u,
    1556207u,
    1644705u,
    1732882u,
    1820738u,
    1908277u,
    1995500u,
    2082410u,
    2169009u,
    2255299u,
    2341283u,
    2426963u,
    2512340u,
    2597417u,
    2682196u,
    2766679u,
    2850868u,
    2934766u,
    3018374u,
    3101694u,
    3184728u,
    3267478u,
    3349946u,
    3432134u,
    3514044u,
    3595678u,
    3677038u,
    3758124u,
    3838941u,
    3919488u,
    3999768u,
    4079782u,
    4159533u,
    4239023u,
    4318251u,
    4397222u,
    4475935u,
    4554394u,
    4632599u,
    4710552u,
    4788255u,
    4865709u,
    4942916u,
    5019878u,
    5096595u,
    5173071u,
    5249305u,
    5325300u,
    5401057u,
    5476578u,
    5551864u,
    5626916u,
    5701737u,
    5776327u,
    5850688u,
    5924821u,
    5998727u,
    6072409u,
    6145867u,
    6219103u,
    6292118u,
    6364913u,
    6437490u,
    6509850u,
    6581994u,
    6653924u,
    6725641u,
    6797146u,
    6868440u,
    6939525u,
    7010402u,
    7081072u,
    7151536u,
    7221795u,
    7291852u,
    7361706u,
    7431359u,
    7500812u,
    7570066u,
    7639123u,
    7707984u,
    7776649u,
    7845119u,
    7913397u,
    7981483u,
    8049377u,
    8117082u,
    8184598u,
    8251926u,
    8319067u,
    8386022u,
    8452793u,
    8519380u,
    8585785u,
    8652008u,
    8718050u,
    8783912u,
    8849596u,
    8915102u,
    8980431u,
    9045584u,
    9110562u,
    9175366u,
    9239998u,
    9304457u,
    9368745u,
    9432863u,
    9496811u,
    9560591u,
    9624203u,
    9687648u,
    9750928u,
    9814042u,
    9876993u,
    9939780u,
    10002404u,
    10064867u,
    10127170u,
    10189312u,
    10251295u,
    10313120u,
    10374787u,
    10436298u,
    10497652u,
    10558852u,
    10619897u,
    10680789u,
    10741528u,
    10802114u,
    10862550u,
    10922835u,
    10982970u,
    11042956u,
    11102794u,
    11162484u,
    11222028u,
    11281425u,
    11340677u,
    11399784u,
    11458748u,
    11517568u,
    11576245u,
    11634780u,
    11693175u,
    11751428u,
    11809542u,
    11867517u,
    11925353u,
    11983051u,
    12040612u,
    12098037u,
    12155325u,
    12212479u,
    12269497u,
    12326382u,
    12383133u,
    12439752u,
    12496238u,
    12552593u,
    12608817u,
    12664911u,
    12720875u,
    12776710u,
    12832416u,
    12887994u,
    12943445u,
    12998770u,
    13053968u,
    13109041u,
    13163988u,
    13218811u,
    13273511u,
    13328087u,
    13382540u,
    13436871u,
    13491080u,
    13545168u,
    13599135u,
    13652983u,
    13706711u,
    13760320u,
    13813810u,
    13867183u,
    13920438u,
    13973576u,
    14026597u,
    14079503u,
    14132294u,
    14184969u,
    14237530u,
    14289978u,
    14342312u,
    14394532u,
    14446641u,
    14498638u,
    14550523u,
    14602297u,
    14653961u,
    14705514u,
    14756958u,
    14808293u,
    14859519u,
    14910637u,
    14961648u,
    15012551u,
    15063347u,
    15114037u,
    15164621u,
    15215099u,
    15265473u,
    15315742u,
    15365906u,
    15415967u,
    15465925u,
    15515779u,
    15565531u,
    15615181u,
    15664730u,
    15714177u,
    15763523u,
    15812769u,
    15861915u,
    15910962u,
    15959909u,
    16008758u,
    16057508u,
    16106160u,
    16154714u,
    16203172u,
    16251532u,
    16299796u,
    16347964u,
    16396036u,
    16444013u,
    16491896u,
    16539683u,
    16587377u,
    16634976u,
    16682482u,
    16729896u,
    16777216u,
};

/* log2(x) in Q24 for x >= 1: the leading one's position plus the table, interpolated (error below 2^-18). */
static uint32_t eenn_exit_log2_q24(uint32_t x)
{
    uint32_t k = 31u;
    while (k > 0u && (x >> k) == 0u) {
        k--;
    }
    const uint32_t m = x << (31u - k); /* the leading one at bit 31 */
    const uint32_t index = (m >> (31 - EENN_EXIT_LOG2_INDEX_BITS)) & ((1u << EENN_EXIT_LOG2_INDEX_BITS) - 1u);
    const uint32_t rest = (m >> (31 - EENN_EXIT_LOG2_INDEX_BITS - EENN_EXIT_LOG2_FRACTION_BITS)) &
                          ((1u << EENN_EXIT_LOG2_FRACTION_BITS) - 1u);
    const uint32_t base = eenn_exit_log2_table[index];
    const uint32_t step = eenn_exit_log2_table[index + 1u] - base; /* < 2^17, so step * rest < 2^32 */
    return (k << EENN_EXIT_LOG_BITS) + base + ((step * rest) >> EENN_EXIT_LOG2_FRACTION_BITS);
}

/* The largest score. */
static int32_t eenn_exit_max(const int8_t *input, int32_t classes)
{
    int32_t top = input[0];
    for (int32_t i = 1; i < classes; i++) {
        top = input[i] > top ? input[i] : top;
    }
    return top;
}

/* The largest and the second largest score (the largest again when it occurs twice); classes >= 2. */
static void eenn_exit_top_two(const int8_t *input, int32_t classes, int32_t *first, int32_t *second)
{
    int32_t top = input[0];
    int32_t next = INT8_MIN - 1;
    for (int32_t i = 1; i < classes; i++) {
        const int32_t v = input[i];
        if (v > top) {
            next = top;
            top = v;
        } else if (v > next) {
            next = v;
        }
    }
    *first = top;
    *second = next;
}

/* exp_table[d], 0 beyond the table. */
static inline uint32_t eenn_exit_exp(const int32_t *exp_table, int32_t exp_table_size, int32_t d)
{
    return d < exp_table_size ? (uint32_t)exp_table[d] : 0u;
}

/* S = sum over the classes of exp_table[q_max - q]. */
static uint32_t eenn_exit_exp_sum(const int8_t *input, int32_t classes, int32_t max, const int32_t *exp_table,
                                  int32_t exp_table_size)
{
    uint32_t sum = 0u;
    for (int32_t i = 0; i < classes; i++) {
        sum += eenn_exit_exp(exp_table, exp_table_size, max - input[i]);
    }
    return sum;
}

int32_t eenn_exit_max_softmax_s8(const int8_t *input, int32_t classes, const int32_t *exp_table,
                                 int32_t exp_table_size, int32_t bound)
{
    const int32_t max = eenn_exit_max(input, classes);
    return eenn_exit_exp_sum(input, classes, max, exp_table, exp_table_size) <= (uint32_t)bound;
}

int32_t eenn_exit_margin_s8(const int8_t *input, int32_t classes, const int32_t *exp_table, int32_t exp_table_size,
                            int32_t bound)
{
    int32_t max;
    int32_t second;
    eenn_exit_top_two(input, classes, &max, &second);
    const uint64_t sum = eenn_exit_exp_sum(input, classes, max, exp_table, exp_table_size);
    const uint64_t gap = (uint32_t)exp_table[0] - eenn_exit_exp(exp_table, exp_table_size, max - second);
    return (gap << EENN_EXIT_MARGIN_BITS) >= (uint64_t)(uint32_t)bound * sum;
}

int32_t eenn_exit_entropy_s8(const int8_t *input, int32_t classes, const int32_t *exp_table, int32_t exp_table_size,
                             int32_t weight, int32_t bound)
{
    const int32_t max = eenn_exit_max(input, classes);
    uint32_t sum = 0u;
    uint64_t weighted = 0u; /* sum of E[d] d */
    for (int32_t i = 0; i < classes; i++) {
        const int32_t d = max - input[i];
        const uint32_t e = eenn_exit_exp(exp_table, exp_table_size, d);
        sum += e;
        weighted += (uint64_t)(e * (uint32_t)d); /* e < 2^24 where d > 0, so e d < 2^32 */
    }
    const uint64_t bits = eenn_exit_log2_q24(sum) - eenn_exit_log2_q24((uint32_t)exp_table[0]);
    return (uint64_t)sum * bits + (uint64_t)(uint32_t)weight * weighted <= (uint64_t)(uint32_t)bound * sum;
}

int32_t eenn_exit_max_softmax_probs_s8(const int8_t *input, int32_t classes, int32_t bound)
{
    return eenn_exit_max(input, classes) >= bound;
}

int32_t eenn_exit_margin_probs_s8(const int8_t *input, int32_t classes, int32_t bound)
{
    int32_t max;
    int32_t second;
    eenn_exit_top_two(input, classes, &max, &second);
    return max - second >= bound;
}

int32_t eenn_exit_entropy_probs_s8(const int8_t *input, int32_t classes, const int32_t *plogp_table, int32_t bound)
{
    int32_t sum = 0;
    for (int32_t i = 0; i < classes; i++) {
        sum += plogp_table[input[i] - INT8_MIN];
    }
    return sum <= bound;
}
