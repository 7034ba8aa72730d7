/* SignalDelay, SignalOverlapAdd, SignalFramer and SignalStacker
 * (pytool/ops/signal_delay.py, signal_overlap_add.py, signal_framer.py,
 * signal_stacker.py): the reference's circular buffers as in-order queues in
 * a variable tensor, so the state is plain data the planner keeps. */
#include <string.h>

#include "odl/kernels_signal.h"

void odl_signal_delay_s16(const int16_t *x, int32_t rows, int32_t n, int32_t d, int16_t *state, int16_t *y) {
    for (int32_t r = 0; r < rows; ++r, x += n, y += n, state += d) {
        /* y = (state, x)[0:n], new state = (state, x)[n:n + d] */
        for (int32_t i = 0; i < n; ++i) y[i] = i < d ? state[i] : x[i - d];
        if (n >= d) {
            memcpy(state, x + n - d, (size_t)d * sizeof(int16_t));
        } else {
            memmove(state, state + n, (size_t)(d - n) * sizeof(int16_t));
            memcpy(state + d - n, x, (size_t)n * sizeof(int16_t));
        }
    }
}

void odl_signal_overlap_add_s16(const int16_t *x, int32_t rows, int32_t frames, int32_t size, int32_t step,
                                int16_t *state, int16_t *y) {
    for (int32_t r = 0; r < rows; ++r, state += size) {
        for (int32_t f = 0; f < frames; ++f, x += size, y += step) {
            for (int32_t i = 0; i < size; ++i) {
                const int32_t v = (int32_t)x[i] + state[i];
                state[i] = (int16_t)(v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v);
            }
            memcpy(y, state, (size_t)step * sizeof(int16_t));
            memmove(state, state + step, (size_t)(size - step) * sizeof(int16_t));
            memset(state + size - step, 0, (size_t)step * sizeof(int16_t));
        }
    }
}

void odl_signal_overlap_add_f32(const float *x, int32_t rows, int32_t frames, int32_t size, int32_t step,
                                float *state, float *y) {
    for (int32_t r = 0; r < rows; ++r, state += size) {
        for (int32_t f = 0; f < frames; ++f, x += size, y += step) {
            for (int32_t i = 0; i < size; ++i) state[i] += x[i];
            memcpy(y, state, (size_t)step * sizeof(float));
            memmove(state, state + step, (size_t)(size - step) * sizeof(float));
            for (int32_t i = size - step; i < size; ++i) state[i] = 0.0f;
        }
    }
}

int32_t odl_signal_framer_s16(const int16_t *x, int32_t rows, int32_t frames, int32_t size, int32_t step,
                              int32_t capacity, int16_t *state, int16_t *y) {
    int32_t valid = 1;
    for (int32_t r = 0; r < rows; ++r, state += capacity + 1) {
        int32_t count = state[capacity];
        for (int32_t f = 0; f < frames; ++f, x += step, y += size) {
            memcpy(state + count, x, (size_t)step * sizeof(int16_t)); /* count <= capacity - step */
            count += step;
            if (count >= size) {
                memcpy(y, state, (size_t)size * sizeof(int16_t));
                count -= step;
                memmove(state, state + step, (size_t)count * sizeof(int16_t));
            } else {
                memset(y, 0, (size_t)size * sizeof(int16_t)); /* stale bytes in the reference */
                valid = 0;
            }
        }
        memset(state + count, 0, (size_t)(capacity - count) * sizeof(int16_t));
        state[capacity] = (int16_t)count;
    }
    return valid;
}

int32_t odl_signal_stacker_s16(const int16_t *x, int32_t channels, int32_t left, int32_t buffer, int32_t step_size,
                               int16_t *state, int16_t *y) {
    int32_t count = state[buffer];
    for (int32_t k = state[buffer + 1] ? 0 : left; k >= 0 && count + channels <= buffer; --k) {
        memcpy(state + count, x, (size_t)channels * sizeof(int16_t)); /* the first frame repeats left times */
        count += channels;
    }
    state[buffer + 1] = 1;
    int32_t valid = count >= buffer;
    if (valid) {
        memcpy(y, state, (size_t)buffer * sizeof(int16_t));
        count -= step_size;
        memmove(state, state + step_size, (size_t)count * sizeof(int16_t));
    } else {
        memset(y, 0, (size_t)buffer * sizeof(int16_t)); /* stale bytes in the reference */
    }
    memset(state + count, 0, (size_t)(buffer - count) * sizeof(int16_t));
    state[buffer] = (int16_t)count;
    return valid;
}
