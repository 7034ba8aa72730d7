"""cffi declarations of the runtime's model structures, shared by the tests that call op
decoders or kernels directly (fields the tests do not touch stay opaque: `...`)."""

RUNTIME_CDEF = """
typedef struct { uint8_t dtype; uint8_t rank; uint8_t flags; int32_t dims[5]; int32_t bytes;
                 int32_t offset; const void *data; float scale; int32_t zero_point; ...; } odl_tensor_t;
typedef struct { uint16_t code; uint8_t n_inputs; uint8_t n_outputs; const int16_t *inputs;
                 const int16_t *outputs; const int32_t *params; uint16_t n_params; ...; } odl_op_t;
typedef struct { uint16_t n_tensors; const odl_tensor_t *tensors; ...; } odl_model_t;
typedef struct odl_ctx { const odl_model_t *model; uint8_t *arena; uint32_t arena_size; ...; } odl_ctx_t;
"""
