/* TFLite_Detection_PostProcess (custom op), float32 (TFLite Micro's kernel). */
#ifndef ODL_KERNELS_DP_H
#define ODL_KERNELS_DP_H

#include <stdint.h>

#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t max_detections, max_classes_per_detection, detections_per_class, use_regular_nms, num_classes;
    float score_threshold, iou_threshold, y_scale, x_scale, h_scale, w_scale;
} odl_dp_params_t;

/* int32 words of scratch the kernel needs for n anchors. */
int32_t odl_detection_postprocess_scratch_words(int32_t n, const odl_dp_params_t *p);

/* boxes [n, box_dim] (y, x, h, w first), class_scores [n, n_cls_bg], anchors
 * [n, 4] (y, x, h, w); outputs hold out_capacity detections (boxes 4 each),
 * out_num one float. */
odl_status_t odl_detection_postprocess_f32(const odl_dp_params_t *p, int32_t n, int32_t box_dim, int32_t n_cls_bg,
                                           const float *boxes, const float *class_scores, const float *anchors,
                                           int32_t out_capacity, float *out_boxes, float *out_classes,
                                           float *out_scores, float *out_num, int32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif
