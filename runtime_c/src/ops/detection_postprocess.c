/* TFLite_Detection_PostProcess: inputs [box encodings [1, n, >=4], class
 * scores [1, n, classes(+1)], anchors [n, 4]] (float32), outputs [boxes,
 * classes, scores, num_detections, scratch (int32)]. params (see
 * pytool/ops/detection_postprocess.py): [max_detections,
 * max_classes_per_detection, detections_per_class, use_regular_nms,
 * num_classes, score_threshold, iou_threshold, y_scale, x_scale, h_scale,
 * w_scale] (floats as their bits). */
#include <string.h>

#include "odl/kernels_dp.h"
#include "odl/ops.h"

static float bits_to_f32(int32_t v) {
    float f;
    memcpy(&f, &v, sizeof f);
    return f;
}

static int is_f32(const odl_tensor_t *t) { return t && t->dtype == ODL_DT_FLOAT32; }

odl_status_t odl_op_detection_postprocess(odl_ctx_t *ctx, const odl_op_t *op) {
    const int32_t *q = op->params;
    if (!q || op->n_params < 11 || op->n_outputs < 5) return ODL_ERR_MODEL;
    const odl_dp_params_t p = {
        .max_detections = q[0], .max_classes_per_detection = q[1], .detections_per_class = q[2],
        .use_regular_nms = q[3], .num_classes = q[4], .score_threshold = bits_to_f32(q[5]),
        .iou_threshold = bits_to_f32(q[6]), .y_scale = bits_to_f32(q[7]), .x_scale = bits_to_f32(q[8]),
        .h_scale = bits_to_f32(q[9]), .w_scale = bits_to_f32(q[10]),
    };
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 0), *ts = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 2);
    if (!is_f32(tb) || !is_f32(ts) || !is_f32(ta) || tb->rank != 3 || ts->rank != 3 || ta->rank != 2)
        return ODL_ERR_UNSUPPORTED;
    const int32_t n = tb->dims[1];
    if (tb->dims[0] != 1 || ts->dims[0] != 1 || ts->dims[1] != n || ta->dims[0] != n || ta->dims[1] != 4)
        return ODL_ERR_SHAPE;
    const odl_tensor_t *o[5];
    for (int i = 0; i < 5; ++i)
        if (!(o[i] = odl_op_out_info(ctx, op, i))) return ODL_ERR_MODEL;
    const int32_t cap = odl_tensor_numel(o[1]);
    if (!is_f32(o[0]) || !is_f32(o[1]) || !is_f32(o[2]) || !is_f32(o[3]) || o[4]->dtype != ODL_DT_INT32 ||
        odl_tensor_numel(o[0]) != 4 * cap || odl_tensor_numel(o[2]) != cap || odl_tensor_numel(o[3]) < 1 ||
        odl_tensor_numel(o[4]) < odl_detection_postprocess_scratch_words(n, &p))
        return ODL_ERR_SHAPE;
    return odl_detection_postprocess_f32(&p, n, tb->dims[2], ts->dims[2], (const float *)odl_op_in(ctx, op, 0),
                                         (const float *)odl_op_in(ctx, op, 1), (const float *)odl_op_in(ctx, op, 2),
                                         cap, (float *)odl_op_out(ctx, op, 0), (float *)odl_op_out(ctx, op, 1),
                                         (float *)odl_op_out(ctx, op, 2), (float *)odl_op_out(ctx, op, 3),
                                         (int32_t *)odl_op_out(ctx, op, 4));
}
