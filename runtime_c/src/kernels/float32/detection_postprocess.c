/* TFLite_Detection_PostProcess (float32): TFLite Micro's box decoding (double
 * arithmetic, rounded to float per coordinate) and its fast (per-anchor top
 * classes) or regular (per-class) non-max suppression. Sorts are by score,
 * larger first, ties by position (TFLite Micro's stable merge sort and its
 * index-tie partial sort give that same order). */
#include <math.h>

#include "odl/kernels_dp.h"

static float maxf(float a, float b) { return a < b ? b : a; }
static float minf(float a, float b) { return b < a ? b : a; }

/* Stable sort of idx[0..n) by v[idx] decreasing (bottom-up merge). */
static void sort_desc(const float *v, int32_t *idx, int32_t *tmp, int32_t n) {
    for (int32_t width = 1; width < n; width *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * width) {
            const int32_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int32_t l = lo, r = mid, k = lo;
            while (k < hi) {
                if (l >= mid || (r < hi && v[idx[r]] > v[idx[l]])) tmp[k++] = idx[r++];
                else tmp[k++] = idx[l++];
            }
        }
        for (int32_t k = 0; k < n; ++k) idx[k] = tmp[k];
    }
}

int32_t odl_detection_postprocess_scratch_words(int32_t n, const odl_dp_params_t *p) {
    const int32_t l = p->max_detections + p->detections_per_class;
    const int32_t c = p->max_classes_per_detection < p->num_classes ? p->max_classes_per_detection : p->num_classes;
    return 11 * n + n * (c > 0 ? c : 0) + (n > l ? n : l) + 5 * l;
}

static float iou(const float *d, int32_t i, int32_t j) {
    const float *a = d + 4 * i, *b = d + 4 * j;
    const float area_i = (a[2] - a[0]) * (a[3] - a[1]);
    const float area_j = (b[2] - b[0]) * (b[3] - b[1]);
    if (area_i <= 0 || area_j <= 0) return 0.0f;
    const float ymin = maxf(a[0], b[0]), xmin = maxf(a[1], b[1]);
    const float ymax = minf(a[2], b[2]), xmax = minf(a[3], b[3]);
    const float inter = maxf(ymax - ymin, 0.0f) * maxf(xmax - xmin, 0.0f);
    return inter / (area_i + area_j - inter);
}

typedef struct {
    float *dec, *keep_scores, *cls_scores, *list_scores, *tmp_scores;
    int32_t *keep_idx, *order, *sort_tmp, *active, *selected, *cls_idx, *list_idx, *list_order, *tmp_idx;
} scratch_t;

static odl_status_t nms_single(const odl_dp_params_t *p, scratch_t *s, int32_t n, const float *scores,
                               int32_t max_det, int32_t *n_sel) {
    if (max_det < 0 || !(p->iou_threshold > 0.0f && p->iou_threshold <= 1.0f)) return ODL_ERR_MODEL;
    for (int32_t i = 0; i < n; ++i) {
        const float *b = s->dec + 4 * i;
        if (b[0] >= b[2] || b[1] >= b[3]) return ODL_ERR_MODEL; /* TFLite Micro's ValidateBoxes */
    }
    int32_t k = 0;
    for (int32_t i = 0; i < n; ++i)
        if (scores[i] >= p->score_threshold) s->keep_scores[k] = scores[i], s->keep_idx[k++] = i;
    for (int32_t i = 0; i < k; ++i) s->order[i] = i;
    sort_desc(s->keep_scores, s->order, s->sort_tmp, k);
    const int32_t out_size = k < max_det ? k : max_det;
    int32_t active = k;
    *n_sel = 0;
    for (int32_t i = 0; i < k; ++i) s->active[i] = 1;
    for (int32_t i = 0; i < k; ++i) {
        if (active == 0 || *n_sel >= out_size) break;
        if (!s->active[i]) continue;
        s->selected[(*n_sel)++] = s->keep_idx[s->order[i]];
        s->active[i] = 0;
        active--;
        for (int32_t j = i + 1; j < k; ++j)
            if (s->active[j] && iou(s->dec, s->keep_idx[s->order[i]], s->keep_idx[s->order[j]]) > p->iou_threshold) {
                s->active[j] = 0;
                active--;
            }
    }
    return ODL_OK;
}

odl_status_t odl_detection_postprocess_f32(const odl_dp_params_t *p, int32_t n, int32_t box_dim, int32_t n_cls_bg,
                                           const float *boxes, const float *class_scores, const float *anchors,
                                           int32_t out_capacity, float *out_boxes, float *out_classes,
                                           float *out_scores, float *out_num, int32_t *scratch) {
    const int32_t nc = p->num_classes, off = n_cls_bg - nc, l = p->max_detections + p->detections_per_class;
    if (n <= 0 || box_dim < 4 || nc <= 0 || off < 0 || off > 1) return ODL_ERR_MODEL;
    scratch_t s;
    int32_t *w = scratch;
    s.dec = (float *)(void *)w, w += 4 * n;
    s.keep_scores = (float *)(void *)w, w += n;
    s.cls_scores = (float *)(void *)w, w += n;
    s.keep_idx = w, w += n;
    s.order = w, w += n;
    s.active = w, w += n;
    s.selected = w, w += n;
    s.sort_tmp = w, w += n > l ? n : l;
    s.list_idx = w, w += l;
    s.list_order = w, w += l;
    s.tmp_idx = w, w += l;
    s.list_scores = (float *)(void *)w, w += l;
    s.tmp_scores = (float *)(void *)w, w += l;
    s.cls_idx = w;
    for (int32_t i = 0; i < n; ++i) {
        const float *b = boxes + (int64_t)i * box_dim, *a = anchors + 4 * i;
        const float yc = (float)((double)b[0] / (double)p->y_scale * (double)a[2] + (double)a[0]);
        const float xc = (float)((double)b[1] / (double)p->x_scale * (double)a[3] + (double)a[1]);
        const float hh = (float)(0.5 * exp((double)b[2] / (double)p->h_scale) * (double)a[2]);
        const float hw = (float)(0.5 * exp((double)b[3] / (double)p->w_scale) * (double)a[3]);
        float *d = s.dec + 4 * i;
        d[0] = yc - hh, d[1] = xc - hw, d[2] = yc + hh, d[3] = xc + hw;
    }
    for (int32_t k = 0; k < out_capacity; ++k) {
        out_classes[k] = out_scores[k] = 0.0f;
        for (int c = 0; c < 4; ++c) out_boxes[4 * k + c] = 0.0f;
    }
    int32_t n_sel = 0;
    odl_status_t st;
    if (p->use_regular_nms) {
        if (p->detections_per_class <= 0 || p->max_detections > out_capacity) return ODL_ERR_MODEL;
        int32_t size = 0;
        for (int32_t col = 0; col < nc; ++col) {
            for (int32_t r = 0; r < n; ++r) s.cls_scores[r] = class_scores[(int64_t)r * n_cls_bg + col + off];
            if ((st = nms_single(p, &s, n, s.cls_scores, p->detections_per_class, &n_sel)) != ODL_OK) return st;
            int32_t m = size;
            for (int32_t i = 0; i < n_sel; ++i, ++m) {
                s.list_idx[m] = s.selected[i] * n_cls_bg + col + off;
                s.list_scores[m] = s.cls_scores[s.selected[i]];
            }
            const int32_t keep = m < p->max_detections ? m : p->max_detections;
            for (int32_t i = 0; i < m; ++i) s.list_order[i] = i;
            sort_desc(s.list_scores, s.list_order, s.sort_tmp, m);
            for (int32_t r = 0; r < keep; ++r)
                s.tmp_idx[r] = s.list_idx[s.list_order[r]], s.tmp_scores[r] = s.list_scores[s.list_order[r]];
            for (int32_t r = 0; r < keep; ++r) s.list_idx[r] = s.tmp_idx[r], s.list_scores[r] = s.tmp_scores[r];
            size = keep;
        }
        for (int32_t k = 0; k < size; ++k) {
            const int32_t anchor = s.list_idx[k] / n_cls_bg;
            for (int c = 0; c < 4; ++c) out_boxes[4 * k + c] = s.dec[4 * anchor + c];
            out_classes[k] = (float)(s.list_idx[k] - anchor * n_cls_bg - off);
            out_scores[k] = s.list_scores[k];
        }
        out_num[0] = (float)size;
        return ODL_OK;
    }
    if (p->max_classes_per_detection <= 0) return ODL_ERR_MODEL;
    const int32_t per = p->max_classes_per_detection < nc ? p->max_classes_per_detection : nc;
    for (int32_t r = 0; r < n; ++r) {
        const float *bs = class_scores + (int64_t)r * n_cls_bg + off;
        int32_t *ci = s.cls_idx + (int64_t)r * per;
        for (int32_t c = 0; c < per; ++c) { /* next best class: larger score, then lower index */
            int32_t best = -1;
            for (int32_t j = 0; j < nc; ++j) {
                int taken = 0;
                for (int32_t q = 0; q < c; ++q) taken |= ci[q] == j;
                if (!taken && (best < 0 || bs[j] > bs[best])) best = j;
            }
            ci[c] = best;
        }
        s.cls_scores[r] = bs[ci[0]];
    }
    if ((st = nms_single(p, &s, n, s.cls_scores, p->max_detections, &n_sel)) != ODL_OK) return st;
    int32_t obi = 0;
    for (int32_t i = 0; i < n_sel; ++i) {
        const int32_t sel = s.selected[i];
        const float *bs = class_scores + (int64_t)sel * n_cls_bg + off;
        for (int32_t c = 0; c < per; ++c) {
            /* TFLite Micro's index: its counter also advances per class */
            const int32_t k = per * obi + c;
            if (k >= out_capacity) return ODL_ERR_SHAPE;
            for (int q = 0; q < 4; ++q) out_boxes[4 * k + q] = s.dec[4 * sel + q];
            out_classes[k] = (float)s.cls_idx[(int64_t)sel * per + c];
            out_scores[k] = bs[s.cls_idx[(int64_t)sel * per + c]];
            obi++;
        }
    }
    out_num[0] = (float)obi;
    return ODL_OK;
}
