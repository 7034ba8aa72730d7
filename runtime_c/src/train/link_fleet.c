/* FLEET_FG link command (odl/link_fleet.h): read the last step's record, set
 * the step counter, replay merged records. */
#include "odl/link_fleet.h"

#include "odl/forward_grad_replay.h"

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t directions_of(const odl_ctx_t *ctx) {
    const odl_train_config_t *tc = ctx->model ? ctx->model->train : 0;
    if (!tc || tc->method != ODL_TRAIN_FORWARD_GRAD) return 0;
    return ((const odl_fg_config_t *)tc->method_config)->directions;
}

static int on_fleet_fg(odl_link_server_t *srv, void *user, const uint8_t *req, uint16_t req_len, uint8_t *resp,
                       uint16_t *resp_len) {
    (void)user;
    odl_ctx_t *ctx = srv->ctx;
    const uint32_t m = directions_of(ctx);
    if (m == 0) return ODL_ERR_TRAIN;
    if (req_len < 1) return ODL_LINK_ST_BAD_PAYLOAD;
    int32_t diffs[ODL_FG_MAX_DIRECTIONS];
    uint32_t step = 0;
    odl_status_t s;
    switch (req[0]) {
    case 0:
        if (req_len != 1 || *resp_len < 4u + 4u * m) return ODL_LINK_ST_BAD_PAYLOAD;
        s = odl_fg_last_step(ctx, &step, diffs, m);
        if (s != ODL_OK) return s;
        put_u32(resp, step);
        for (uint32_t k = 0; k < m; ++k) put_u32(resp + 4 + 4 * k, (uint32_t)diffs[k]);
        *resp_len = (uint16_t)(4u + 4u * m);
        return ODL_OK;
    case 1:
        if (req_len != 5 || *resp_len < 4) return ODL_LINK_ST_BAD_PAYLOAD;
        s = odl_fg_set_step(ctx, get_u32(req + 1));
        if (s != ODL_OK) return s;
        put_u32(resp, get_u32(req + 1));
        *resp_len = 4;
        return ODL_OK;
    case 2: {
        if (req_len < 3 || *resp_len < 4) return ODL_LINK_ST_BAD_PAYLOAD;
        const uint32_t n = (uint32_t)req[1] | ((uint32_t)req[2] << 8);
        const uint32_t rec = 4u + 4u * m;
        if ((uint32_t)req_len != 3u + n * rec) return ODL_LINK_ST_BAD_PAYLOAD;
        uint32_t clipped_n = 0;
        for (uint32_t r = 0; r < n; ++r) {
            const uint8_t *p = req + 3 + r * rec;
            for (uint32_t k = 0; k < m; ++k) diffs[k] = (int32_t)get_u32(p + 4 + 4 * k);
            int clipped = 0;
            s = odl_fg_replay_step(ctx, get_u32(p), diffs, m, &clipped);
            if (s != ODL_OK) return s;
            clipped_n += (uint32_t)clipped;
        }
        resp[0] = (uint8_t)n;
        resp[1] = (uint8_t)(n >> 8);
        resp[2] = (uint8_t)clipped_n;
        resp[3] = (uint8_t)(clipped_n >> 8);
        *resp_len = 4;
        return ODL_OK;
    }
    default:
        return ODL_LINK_ST_BAD_PAYLOAD;
    }
}

odl_status_t odl_link_fleet_register(odl_link_server_t *srv) {
    return odl_link_register(srv, ODL_LINK_CMD_FLEET_FG, on_fleet_fg, 0);
}
