/* tinyodl runtime: public C API.
 *
 * C99, no heap, no global state: the caller owns the context and the arena.
 * A model is generated data (see pytool/codegen): a tensor table, an op list
 * and per-op int32 parameter blocks. All logic lives in the runtime.
 */
#ifndef ODL_ODL_H
#define ODL_ODL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ODL_VERSION_MAJOR 0
#define ODL_VERSION_MINOR 1
/* Bumped whenever odl_model_t / odl_tensor_t / odl_op_t change layout. */
#define ODL_MODEL_FORMAT 2

#if defined(__GNUC__)
#define ODL_ALIGN(n) __attribute__((aligned(n)))
#else
#define ODL_ALIGN(n)
#endif

typedef enum {
    ODL_OK = 0,
    ODL_ERR_ARG = 1,         /* a NULL pointer or an out-of-range argument */
    ODL_ERR_SHAPE = 2,       /* tensor shapes do not fit the op */
    ODL_ERR_UNSUPPORTED = 3, /* op / dtype / attribute not built in */
    ODL_ERR_ARENA = 4,       /* arena too small for the plan */
    ODL_ERR_MODEL = 5,       /* malformed model table (bad index, format) */
    ODL_ERR_STATE = 6,       /* call out of order (e.g. invoke before init) */
    ODL_ERR_NUMERIC = 7,     /* overflow / non-finite value detected */
    ODL_ERR_CRC = 8,         /* checksum mismatch */
    ODL_ERR_LINK = 9,        /* malformed or unexpected link frame */
    ODL_ERR_STORE = 10,      /* non-volatile store failure */
    ODL_ERR_TRAIN = 11,      /* training not configured / bad hyper-parameter */
    ODL_STATUS_COUNT
} odl_status_t;

/* Stable name of a status ("ODL_ERR_SHAPE"), for logs and Python exceptions. */
const char *odl_status_name(odl_status_t s);

typedef enum {
    ODL_DT_INT8 = 0,
    ODL_DT_UINT8 = 1,
    ODL_DT_INT16 = 2,
    ODL_DT_INT32 = 3,
    ODL_DT_INT64 = 4,
    ODL_DT_FLOAT32 = 5,
    ODL_DT_FLOAT16 = 6,
} odl_dtype_t;

size_t odl_dtype_size(odl_dtype_t dt);

/* Tensor flags. */
#define ODL_T_CONST 0x01     /* lives in flash: data points at it */
#define ODL_T_ARENA 0x02     /* lives in the arena at offset */
#define ODL_T_INIT 0x04      /* arena tensor initialised from data at odl_init */
#define ODL_T_TRAINABLE 0x08 /* updated by training */
#define ODL_T_INPUT 0x10
#define ODL_T_OUTPUT 0x20
#define ODL_T_RESET_FILL 0x40 /* odl_reset_state fills it with `fill` (resource variables, as TFLite Micro) */
#define ODL_T_KEEP 0x80       /* odl_reset_state leaves it (CALL_ONCE's flag: TFLite Micro's Reset keeps it) */

#define ODL_MAX_RANK 5

typedef struct {
    uint8_t dtype;  /* odl_dtype_t */
    uint8_t rank;
    uint8_t flags;  /* ODL_T_* */
    uint8_t fill;   /* the byte odl_reset_state writes to an ODL_T_RESET_FILL tensor */
    int32_t dims[ODL_MAX_RANK];
    int32_t bytes;
    int32_t offset;      /* arena offset when ODL_T_ARENA, else -1 */
    const void *data;    /* const data, or init data for ODL_T_INIT, or NULL */
    float scale;         /* per-tensor scale (first channel when per-channel) */
    int32_t zero_point;
} odl_tensor_t;

/* One scheduled op. inputs/outputs are tensor indices; -1 marks an absent
 * optional input. params is an op-specific int32 block whose layout is
 * documented beside each op's lowering (pytool/ops/<op>.py) and decoder
 * (runtime_c/src/ops/<op>.c). */
typedef struct {
    uint16_t code; /* odl_opcode_t */
    uint8_t n_inputs;
    uint8_t n_outputs;
    const int16_t *inputs;
    const int16_t *outputs;
    const int32_t *params;
    uint16_t n_params;
    /* Ops right after this one that belong to it (the subgraphs an IF / WHILE
     * runs itself): a schedule runs this op, then skips them. */
    uint16_t n_nested;
} odl_op_t;

struct odl_train_config; /* defined in odl/train.h */
struct odl_ctx;
/* An op's decoder. The model lists one per op, so a firmware links only the
 * decoders (and kernels) of its own ops. */
typedef odl_status_t (*odl_decoder_fn)(struct odl_ctx *ctx, const odl_op_t *op);

typedef struct {
    uint32_t format;     /* ODL_MODEL_FORMAT */
    uint32_t hash;       /* content hash of the generated model (handshake) */
    uint16_t n_tensors;
    uint16_t n_ops;
    uint16_t n_inputs;
    uint16_t n_outputs;
    const odl_tensor_t *tensors;
    const odl_op_t *ops;
    const int16_t *inputs;
    const int16_t *outputs;
    uint32_t arena_size;       /* bytes the plan needs */
    uint32_t persistent_size;  /* leading arena bytes never reused (trainable state) */
    const struct odl_train_config *train; /* NULL: inference only */
    const odl_decoder_fn *decoders;       /* n_ops entries, in schedule order */
} odl_model_t;

typedef struct {
    uint32_t invokes;
    uint32_t train_steps;
    uint32_t last_op;    /* index of the op that failed, or of the last op run */
    uint32_t eval_samples; /* odl_eval_sample calls since the last training step */
    uint32_t eval_correct; /* ... of which predicted the label */
    uint32_t stopped;    /* 1: the last invoke (or range) stopped early by design (CIRCULAR_BUFFER's stride,
                          * TFLite Micro's kTfLiteAbort): the ops after the one that set it did not run */
} odl_stats_t;

/* Running loss statistics of the training guard (Q16.16). */
typedef struct {
    int32_t mean_q16;
    int32_t var_q16;
    uint32_t n;
    uint32_t skipped;
} odl_loss_guard_t;

typedef struct odl_ctx {
    const odl_model_t *model;
    uint8_t *arena;
    uint32_t arena_size;
    uint32_t ready;
    odl_stats_t stats;
    void *train_state; /* owned by the training method, lives in the arena */
    odl_loss_guard_t loss_guard;
    /* Rate divisor set by the host between epochs (odl_train_set_lr_shift):
     * methods train at their configured rate / 2^lr_shift. odl_init: 0. */
    uint32_t lr_shift;
} odl_ctx_t;

/* Binds model and arena; copies ODL_T_INIT tensors into the arena. */
odl_status_t odl_init(odl_ctx_t *ctx, const odl_model_t *model, uint8_t *arena,
                      uint32_t arena_size);
/* Sets the op state kept across invokes (variable tensors: LSTM hidden and
 * cell state, SVDF memory) back to its initial value, as odl_init does;
 * trainable tensors are left alone. Call between independent sequences.
 * Resource variables (ODL_T_RESET_FILL) get TFLite Micro's Reset value
 * instead: every byte `fill`; CALL_ONCE's flag (ODL_T_KEEP) is left, so its
 * init runs at the first invoke after odl_init whatever the resets. */
odl_status_t odl_reset_state(odl_ctx_t *ctx);
/* Runs every op of the schedule (up to an op that stops the invoke early:
 * ODL_OK with ctx->stats.stopped set, see odl_stats_t). */
odl_status_t odl_invoke(odl_ctx_t *ctx);
/* Runs ops [first, last), skipping the ops nested in a control-flow op
 * (which runs them). */
odl_status_t odl_invoke_range(odl_ctx_t *ctx, uint32_t first, uint32_t last);

/* Pointer to a tensor's bytes (arena or const). NULL when out of range. */
void *odl_tensor_ptr(const odl_ctx_t *ctx, int32_t index);
const odl_tensor_t *odl_tensor_info(const odl_ctx_t *ctx, int32_t index);
/* Number of elements of a tensor. */
int32_t odl_tensor_numel(const odl_tensor_t *t);

void *odl_input_ptr(const odl_ctx_t *ctx, uint32_t i);
void *odl_output_ptr(const odl_ctx_t *ctx, uint32_t i);

#ifdef __cplusplus
}
#endif

#endif /* ODL_ODL_H */
