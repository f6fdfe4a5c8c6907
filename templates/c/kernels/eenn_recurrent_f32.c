/*
 * eenn_recurrent_f32.c - float32 recurrent layers: LSTM, GRU and RNN (ONNX opsets 7 to 22), one direction per call.
 *
 * Each call runs one direction of the layer over the sequence, one batch entry after the other and one time step
 * after the other, the state (h, and the LSTM's cell c) carried in the scratch from one step to the next. A step
 * computes every gate's pre-activation as a bias plus two matrix-vector products (W x_t + R h_t-1), then the
 * activations and the new state element by element. The equations are those of the ONNX operators, in their gate
 * order (LSTM i, o, f, c; GRU z, r, h). The activations follow eenn_activation_f32.c (Sigmoid is
 * 1 / (1 + exp(-x)), Tanh tanhf), so results stay within a few ulps of onnxruntime's.
 *
 * Nothing is kept between calls: the state comes in through initial_h / initial_c and goes out through
 * output_h / output_c, so a streaming caller feeds each call the state the previous one returned.
 */
#include <math.h>
#include "eenn_kernels_f32.h"

/* One activation function of the gates: its eenn_recurrent_activation_t, alpha and beta. */
typedef struct {
    int32_t kind;
    float alpha;
    float beta;
} eenn_recurrent_activation_f32;

/* fn(x). */
static float eenn_recurrent_activate(const eenn_recurrent_activation_f32 *fn, float x)
{
    const float alpha = fn->alpha;
    const float beta = fn->beta;
    switch (fn->kind) {
    case EENN_RECURRENT_SIGMOID:
        return 1.0f / (1.0f + expf(-x));
    case EENN_RECURRENT_TANH:
        return tanhf(x);
    case EENN_RECURRENT_RELU:
        return x > 0.0f ? x : 0.0f;
    case EENN_RECURRENT_LEAKY_RELU:
        return x < 0.0f ? alpha * x : x;
    case EENN_RECURRENT_THRESHOLDED_RELU:
        return x > alpha ? x : 0.0f;
    case EENN_RECURRENT_HARD_SIGMOID:
        return eenn_clamp_f32(alpha * x + beta, 0.0f, 1.0f);
    case EENN_RECURRENT_ELU:
        return x < 0.0f ? alpha * expm1f(x) : x;
    case EENN_RECURRENT_SOFTSIGN:
        return x / (1.0f + fabsf(x));
    case EENN_RECURRENT_SOFTPLUS:
        return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
    case EENN_RECURRENT_AFFINE:
        return alpha * x + beta;
    case EENN_RECURRENT_SCALED_TANH:
        return alpha * tanhf(beta * x);
    default:
        return x;
    }
}

/* The state of one batch entry at the start of the sequence: `initial`, or zeros when there is none. */
static void eenn_recurrent_load_state(float *EENN_RESTRICT state, const float *EENN_RESTRICT initial, int32_t hidden_size)
{
    for (int32_t j = 0; j < hidden_size; j++) {
        state[j] = initial != NULL ? initial[j] : 0.0f;
    }
}

/* sum_k row[k] * v[k] over n elements. */
static float eenn_recurrent_dot(const float *EENN_RESTRICT row, const float *EENN_RESTRICT v, int32_t n, float acc)
{
    for (int32_t k = 0; k < n; k++) {
        EENN_MAC_F32(acc, row[k], v[k]);
    }
    return acc;
}

/*
 * Pre-activations of gate rows [0, rows): Wb[j] + Rb[j] + W[j] . x + R[j] . h, with Rb `recurrence_bias_offset`
 * elements after Wb in `bias` (NULL: no bias).
 */
static void eenn_recurrent_gates(const float *EENN_RESTRICT x, const float *EENN_RESTRICT h,
                                 const float *EENN_RESTRICT weights, const float *EENN_RESTRICT recurrence,
                                 const float *EENN_RESTRICT bias, int32_t recurrence_bias_offset,
                                 float *EENN_RESTRICT gates, int32_t rows, int32_t input_size, int32_t hidden_size)
{
    for (int32_t j = 0; j < rows; j++) {
        float acc = bias != NULL ? bias[j] + bias[recurrence_bias_offset + j] : 0.0f;
        acc = eenn_recurrent_dot(weights + (size_t)j * (size_t)input_size, x, input_size, acc);
        gates[j] = eenn_recurrent_dot(recurrence + (size_t)j * (size_t)hidden_size, h, hidden_size, acc);
    }
}

/*
 * The length of batch entry b's sequence, and the time step of the step-th update (from the end when reversed).
 * A length outside [0, seq_length] (bad data at run time) is held to that range so that no access leaves X or Y.
 */
static int32_t eenn_recurrent_length(const int32_t *sequence_lens, int32_t b, int32_t seq_length)
{
    if (sequence_lens == NULL) {
        return seq_length;
    }
    const int32_t length = sequence_lens[b];
    return length < 0 ? 0 : (length > seq_length ? seq_length : length);
}

static int32_t eenn_recurrent_time(int32_t step, int32_t length, int32_t reverse)
{
    return reverse ? length - 1 - step : step;
}

/* Y of time step t for one batch entry: the new h, or (past the entry's length) zeros. */
static void eenn_recurrent_store(float *EENN_RESTRICT output, const float *EENN_RESTRICT h, int32_t hidden_size)
{
    for (int32_t j = 0; j < hidden_size; j++) {
        output[j] = h != NULL ? h[j] : 0.0f;
    }
}

/* Y, Y_h (and Y_c) of one batch entry after its last step; Y is zero past the entry's length. */
static void eenn_recurrent_finish(float *output, int32_t length, int32_t seq_length, int32_t output_stride_t,
                                  float *output_h, const float *EENN_RESTRICT h, int32_t hidden_size)
{
    if (output != NULL) {
        for (int32_t t = length; t < seq_length; t++) {
            eenn_recurrent_store(output + t * output_stride_t, NULL, hidden_size);
        }
    }
    if (output_h != NULL) {
        eenn_recurrent_store(output_h, h, hidden_size);
    }
}

void eenn_lstm_f32(const float *input, const float *weights, const float *recurrence, const float *bias,
                   const float *peephole, const int32_t *sequence_lens, const float *initial_h,
                   const float *initial_c, float *output, float *output_h, float *output_c,
                   float *EENN_RESTRICT scratch, int32_t seq_length, int32_t batch, int32_t input_size, int32_t hidden_size,
                   int32_t input_stride_t, int32_t input_stride_b, int32_t output_stride_t,
                   int32_t output_stride_b, int32_t state_stride_b, int32_t reverse, float clip, int32_t input_forget,
                   int32_t f_kind, float f_alpha, float f_beta, int32_t g_kind, float g_alpha, float g_beta,
                   int32_t h_kind, float h_alpha, float h_beta)
{
    const eenn_recurrent_activation_f32 f = { f_kind, f_alpha, f_beta };
    const eenn_recurrent_activation_f32 g = { g_kind, g_alpha, g_beta };
    const eenn_recurrent_activation_f32 h_fn = { h_kind, h_alpha, h_beta };
    const int32_t hidden = hidden_size;
    float *gates = scratch;          /* [4 * hidden]: i, o, f, c */
    float *h = scratch + 4 * hidden; /* [hidden] */
    float *c = scratch + 5 * hidden; /* [hidden] */
    for (int32_t b = 0; b < batch; b++) {
        eenn_recurrent_load_state(h, initial_h != NULL ? initial_h + b * state_stride_b : NULL, hidden);
        eenn_recurrent_load_state(c, initial_c != NULL ? initial_c + b * state_stride_b : NULL, hidden);
        const int32_t length = eenn_recurrent_length(sequence_lens, b, seq_length);
        for (int32_t step = 0; step < length; step++) {
            const int32_t t = eenn_recurrent_time(step, length, reverse);
            const float *x = input + t * input_stride_t + b * input_stride_b;
            eenn_recurrent_gates(x, h, weights, recurrence, bias, 4 * hidden, gates, 4 * hidden, input_size, hidden);
            for (int32_t j = 0; j < hidden; j++) {
                /* Peepholes P: i, o, f; the input and forget gates see the old cell, the output gate the new one. */
                const float p_i = peephole != NULL ? peephole[j] * c[j] : 0.0f;
                const float p_f = peephole != NULL ? peephole[2 * hidden + j] * c[j] : 0.0f;
                const float i_gate = eenn_recurrent_activate(&f, eenn_clamp_f32(gates[j] + p_i, -clip, clip));
                const float f_gate = input_forget
                                         ? 1.0f - i_gate
                                         : eenn_recurrent_activate(&f, eenn_clamp_f32(gates[2 * hidden + j] + p_f, -clip, clip));
                const float c_gate = eenn_recurrent_activate(&g, eenn_clamp_f32(gates[3 * hidden + j], -clip, clip));
                c[j] = f_gate * c[j] + i_gate * c_gate;
                const float p_o = peephole != NULL ? peephole[hidden + j] * c[j] : 0.0f;
                const float o_gate = eenn_recurrent_activate(&f, eenn_clamp_f32(gates[hidden + j] + p_o, -clip, clip));
                h[j] = o_gate * eenn_recurrent_activate(&h_fn, c[j]);
            }
            if (output != NULL) {
                eenn_recurrent_store(output + t * output_stride_t + b * output_stride_b, h, hidden);
            }
        }
        eenn_recurrent_finish(output != NULL ? output + b * output_stride_b : NULL, length, seq_length, output_stride_t,
                              output_h != NULL ? output_h + b * state_stride_b : NULL, h, hidden);
        if (output_c != NULL) {
            eenn_recurrent_store(output_c + b * state_stride_b, c, hidden);
        }
    }
}

void eenn_gru_f32(const float *input, const float *weights, const float *recurrence, const float *bias,
                  const int32_t *sequence_lens, const float *initial_h, float *output, float *output_h,
                  float *EENN_RESTRICT scratch, int32_t seq_length, int32_t batch, int32_t input_size, int32_t hidden_size,
                  int32_t input_stride_t, int32_t input_stride_b, int32_t output_stride_t,
                  int32_t output_stride_b, int32_t state_stride_b, int32_t reverse, float clip, int32_t linear_before_reset,
                  int32_t f_kind, float f_alpha, float f_beta, int32_t g_kind, float g_alpha, float g_beta)
{
    const eenn_recurrent_activation_f32 f = { f_kind, f_alpha, f_beta };
    const eenn_recurrent_activation_f32 g = { g_kind, g_alpha, g_beta };
    const int32_t hidden = hidden_size;
    float *gates = scratch;          /* [3 * hidden]: z, r, then the candidate state */
    float *h = scratch + 3 * hidden; /* [hidden] */
    const float *reset = gates + hidden;
    /* The candidate's rows of W, R and B (Wb_h, then Rb_h 3 * hidden elements later). */
    const float *w_h = weights + (size_t)(2 * hidden) * (size_t)input_size;
    const float *r_h = recurrence + (size_t)(2 * hidden) * (size_t)hidden;
    const float *b_h = bias != NULL ? bias + 2 * hidden : NULL;
    for (int32_t b = 0; b < batch; b++) {
        eenn_recurrent_load_state(h, initial_h != NULL ? initial_h + b * state_stride_b : NULL, hidden);
        const int32_t length = eenn_recurrent_length(sequence_lens, b, seq_length);
        for (int32_t step = 0; step < length; step++) {
            const int32_t t = eenn_recurrent_time(step, length, reverse);
            const float *x = input + t * input_stride_t + b * input_stride_b;
            /* Update and reset gates. */
            eenn_recurrent_gates(x, h, weights, recurrence, bias, 3 * hidden, gates, 2 * hidden, input_size, hidden);
            for (int32_t j = 0; j < 2 * hidden; j++) {
                gates[j] = eenn_recurrent_activate(&f, eenn_clamp_f32(gates[j], -clip, clip));
            }
            /* Candidate state: g(W_h x + Wb_h + R_h (r * h) + Rb_h), or with linear_before_reset
               g(W_h x + Wb_h + r * (R_h h + Rb_h)). */
            for (int32_t j = 0; j < hidden; j++) {
                const float xw = eenn_recurrent_dot(w_h + (size_t)j * (size_t)input_size, x, input_size, b_h != NULL ? b_h[j] : 0.0f);
                const float *r_row = r_h + (size_t)j * (size_t)hidden;
                const float rb = b_h != NULL ? b_h[3 * hidden + j] : 0.0f;
                float recurrent;
                if (linear_before_reset) {
                    recurrent = reset[j] * eenn_recurrent_dot(r_row, h, hidden, rb);
                } else {
                    recurrent = rb;
                    for (int32_t k = 0; k < hidden; k++) {
                        EENN_MAC_F32(recurrent, r_row[k], reset[k] * h[k]);
                    }
                }
                gates[2 * hidden + j] = eenn_recurrent_activate(&g, eenn_clamp_f32(xw + recurrent, -clip, clip));
            }
            for (int32_t j = 0; j < hidden; j++) {
                const float z = gates[j];
                h[j] = (1.0f - z) * gates[2 * hidden + j] + z * h[j];
            }
            if (output != NULL) {
                eenn_recurrent_store(output + t * output_stride_t + b * output_stride_b, h, hidden);
            }
        }
        eenn_recurrent_finish(output != NULL ? output + b * output_stride_b : NULL, length, seq_length, output_stride_t,
                              output_h != NULL ? output_h + b * state_stride_b : NULL, h, hidden);
    }
}

void eenn_rnn_f32(const float *input, const float *weights, const float *recurrence, const float *bias,
                  const int32_t *sequence_lens, const float *initial_h, float *output, float *output_h,
                  float *EENN_RESTRICT scratch, int32_t seq_length, int32_t batch, int32_t input_size, int32_t hidden_size,
                  int32_t input_stride_t, int32_t input_stride_b, int32_t output_stride_t,
                  int32_t output_stride_b, int32_t state_stride_b, int32_t reverse, float clip,
                  int32_t f_kind, float f_alpha, float f_beta)
{
    const eenn_recurrent_activation_f32 f = { f_kind, f_alpha, f_beta };
    const int32_t hidden = hidden_size;
    float *gates = scratch;      /* [hidden] */
    float *h = scratch + hidden; /* [hidden] */
    for (int32_t b = 0; b < batch; b++) {
        eenn_recurrent_load_state(h, initial_h != NULL ? initial_h + b * state_stride_b : NULL, hidden);
        const int32_t length = eenn_recurrent_length(sequence_lens, b, seq_length);
        for (int32_t step = 0; step < length; step++) {
            const int32_t t = eenn_recurrent_time(step, length, reverse);
            const float *x = input + t * input_stride_t + b * input_stride_b;
            eenn_recurrent_gates(x, h, weights, recurrence, bias, hidden, gates, hidden, input_size, hidden);
            for (int32_t j = 0; j < hidden; j++) {
                h[j] = eenn_recurrent_activate(&f, eenn_clamp_f32(gates[j], -clip, clip));
            }
            if (output != NULL) {
                eenn_recurrent_store(output + t * output_stride_t + b * output_stride_b, h, hidden);
            }
        }
        eenn_recurrent_finish(output != NULL ? output + b * output_stride_b : NULL, length, seq_length, output_stride_t,
                              output_h != NULL ? output_h + b * state_stride_b : NULL, h, hidden);
    }
}
