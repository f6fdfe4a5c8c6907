/*
 * eenn_loss_f32.c - float32 NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
 *
 * Scores are [batch, classes, inner] (inner: the product of the axes after the classes, 1 when none) and the
 * targets [batch, inner], int64. With t = target[n][d]:
 *     loss[n][d] = -weight[t] * log_prob[n][t][d]     (weight[t] = 1 when weight is NULL)
 * and 0 where the node has an ignore_index and t equals it. NegativeLogLikelihoodLoss reads log_prob as given;
 * SoftmaxCrossEntropyLoss computes it as the LogSoftmax of the scores along the classes (and writes it out when
 * log_prob is not NULL). EENN_LOSS_NONE writes loss [batch, inner]; EENN_LOSS_SUM one value, the sum;
 * EENN_LOSS_MEAN one value, the sum divided by the sum of the weights of the targets not ignored (their count
 * without weights): 0 / 0 = NaN when every target is ignored, as in ONNX's reference.
 *
 * A target outside [0, classes) that is not ignored has no defined loss (ONNX leaves it undefined): its loss is
 * NaN, and so is a sum or mean over it. Neither the scores nor the weights are ever read at such a target.
 */
#include <math.h>
#include "eenn_kernels_f32.h"

/*
 * Folds the loss of one target into the output: `log_prob_at` is log_prob[n][t][d] for a valid target t. Sets
 * *loss_out (EENN_LOSS_NONE) or adds to *sum and *weight_sum.
 */
static void eenn_loss_target_f32(float log_prob_at, int64_t t, const float *EENN_RESTRICT weight, int32_t classes,
                                 int32_t ignore, float *EENN_RESTRICT loss_out, float *EENN_RESTRICT sum,
                                 float *EENN_RESTRICT weight_sum)
{
    float loss = 0.0f;
    float w = 0.0f;
    if (!ignore) {
        if (t >= 0 && t < (int64_t)classes) {
            w = weight != NULL ? weight[t] : 1.0f;
            loss = -w * log_prob_at;
        } else {
            w = NAN;
            loss = NAN;
        }
    }
    *loss_out = loss;
    *sum += loss;
    *weight_sum += w;
}

/* The reduced loss from the sum of the losses and of their weights. */
static float eenn_loss_reduce_f32(float sum, float weight_sum, int32_t reduction)
{
    return reduction == EENN_LOSS_MEAN ? sum / weight_sum : sum;
}

void eenn_nll_loss_f32(const float *EENN_RESTRICT input, const int64_t *EENN_RESTRICT target,
                       const float *EENN_RESTRICT weight, float *EENN_RESTRICT loss, int32_t batch,
                       int32_t classes, int32_t inner, int32_t reduction, int32_t has_ignore_index,
                       int64_t ignore_index)
{
    float sum = 0.0f;
    float weight_sum = 0.0f;
    float target_loss = 0.0f;
    for (int32_t n = 0; n < batch; n++) {
        const float *scores = input + n * classes * inner;
        for (int32_t d = 0; d < inner; d++) {
            const int64_t t = target[n * inner + d];
            const int32_t ignore = has_ignore_index && t == ignore_index;
            /* Only a target inside [0, classes) addresses the scores. */
            const float at = (t >= 0 && t < (int64_t)classes) ? scores[(int32_t)t * inner + d] : 0.0f;
            float *out = reduction == EENN_LOSS_NONE ? &loss[n * inner + d] : &target_loss;
            eenn_loss_target_f32(at, t, weight, classes, ignore, out, &sum, &weight_sum);
        }
    }
    if (reduction != EENN_LOSS_NONE) {
        loss[0] = eenn_loss_reduce_f32(sum, weight_sum, reduction);
    }
}

void eenn_softmax_cross_entropy_loss_f32(const float *EENN_RESTRICT input, const int64_t *EENN_RESTRICT target,
                                         const float *EENN_RESTRICT weight, float *EENN_RESTRICT loss,
                                         float *EENN_RESTRICT log_prob, int32_t batch, int32_t classes,
                                         int32_t inner, int32_t reduction, int32_t has_ignore_index,
                                         int64_t ignore_index)
{
    float sum = 0.0f;
    float weight_sum = 0.0f;
    float target_loss = 0.0f;
    for (int32_t n = 0; n < batch; n++) {
        for (int32_t d = 0; d < inner; d++) {
            /* The scores of one position, classes apart. */
            const float *x = input + n * classes * inner + d;
            float max = -INFINITY;
            for (int32_t c = 0; c < classes; c++) {
                max = x[c * inner] > max ? x[c * inner] : max;
            }
            float exp_sum = 0.0f;
            for (int32_t c = 0; c < classes; c++) {
                exp_sum += expf(x[c * inner] - max);
            }
            /* log_prob[c] = x[c] - max - log(sum(exp(x - max))). */
            const float shift = max + logf(exp_sum);
            if (log_prob != NULL) {
                float *y = log_prob + n * classes * inner + d;
                for (int32_t c = 0; c < classes; c++) {
                    y[c * inner] = x[c * inner] - shift;
                }
            }
            const int64_t t = target[n * inner + d];
            const int32_t ignore = has_ignore_index && t == ignore_index;
            const float at = (t >= 0 && t < (int64_t)classes) ? x[(int32_t)t * inner] - shift : 0.0f;
            float *out = reduction == EENN_LOSS_NONE ? &loss[n * inner + d] : &target_loss;
            eenn_loss_target_f32(at, t, weight, classes, ignore, out, &sum, &weight_sum);
        }
    }
    if (reduction != EENN_LOSS_NONE) {
        loss[0] = eenn_loss_reduce_f32(sum, weight_sum, reduction);
    }
}
