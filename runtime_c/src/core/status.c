#include "odl/odl.h"

const char *odl_status_name(odl_status_t s) {
    switch (s) {
    case ODL_OK: return "ODL_OK";
    case ODL_ERR_ARG: return "ODL_ERR_ARG";
    case ODL_ERR_SHAPE: return "ODL_ERR_SHAPE";
    case ODL_ERR_UNSUPPORTED: return "ODL_ERR_UNSUPPORTED";
    case ODL_ERR_ARENA: return "ODL_ERR_ARENA";
    case ODL_ERR_MODEL: return "ODL_ERR_MODEL";
    case ODL_ERR_STATE: return "ODL_ERR_STATE";
    case ODL_ERR_NUMERIC: return "ODL_ERR_NUMERIC";
    case ODL_ERR_CRC: return "ODL_ERR_CRC";
    case ODL_ERR_LINK: return "ODL_ERR_LINK";
    case ODL_ERR_STORE: return "ODL_ERR_STORE";
    case ODL_ERR_TRAIN: return "ODL_ERR_TRAIN";
    default: return "ODL_ERR_UNKNOWN";
    }
}

size_t odl_dtype_size(odl_dtype_t dt) {
    switch (dt) {
    case ODL_DT_INT8:
    case ODL_DT_UINT8: return 1;
    case ODL_DT_INT16:
    case ODL_DT_FLOAT16: return 2;
    case ODL_DT_INT32:
    case ODL_DT_FLOAT32: return 4;
    case ODL_DT_INT64: return 8;
    default: return 0;
    }
}
