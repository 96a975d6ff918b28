/* Exact pycocotools-convention polygon IoU, batched: the inner loop of the GSPO reward and of
 * evaluation. Mirrors simpleseg_agent/geometry/raster.py (the NumPy reference of the same walk);
 * the tests check both against pycocotools pixel for pixel.
 *
 * Layout:
 *   rings     list of R C-contiguous float64 (N, 2) arrays: ring vertices in pixels, or normalized
 *             (x / W, y / H) when the optional last argument `normalized` is true
 *   part_r    int64   [P+1]   part p has rings part_r[p] .. part_r[p+1]-1 (outer + holes, even-odd)
 *   part_side int64   [P]     0: the part belongs to region A of its pair, 1: to region B
 *   pair_p    int64   [N+1]   pair i has parts pair_p[i] .. pair_p[i+1]-1
 *   wh        int64   [2N]    width, height of pair i's image
 *   out       float64 [3N]    intersection, area A, area B in pixels
 * Pixels are toggled column by column where the upsampled (x5) boundary crosses the column
 * centre x + 0.5, exactly as rleFrPoly does; parts are united, rings of a part use even-odd.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COORD_PX 1e8

typedef struct { int32_t col, row, part; } event_t;

typedef struct { event_t *ev; size_t n, cap; } evbuf_t;

static int reserve(evbuf_t *b, size_t more) {
    if (b->n + more > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap < b->n + more) cap *= 2;
        event_t *p = (event_t *)realloc(b->ev, cap * sizeof(event_t));
        if (!p) return -1;
        b->ev = p; b->cap = cap;
    }
    return 0;
}

static inline void put(evbuf_t *b, int32_t col, int32_t row, int32_t part) {
    event_t *e = b->ev + b->n++;
    e->col = col; e->row = row; e->part = part;
}

static int push(evbuf_t *b, int32_t col, int32_t row, int32_t part) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        event_t *p = (event_t *)realloc(b->ev, cap * sizeof(event_t));
        if (!p) return -1;
        b->ev = p; b->cap = cap;
    }
    b->ev[b->n].col = col; b->ev[b->n].row = row; b->ev[b->n].part = part; b->n++;
    return 0;
}

static long tr(double v) { return (long)v; } /* C truncation, as pycocotools */

/* ceil((vmin + .5) / 5 - .5) clamped to [0, h], in integers: (vmin + .5) / 5 - .5 == (vmin - 2) / 5 */
static int32_t toggle_row(long vmin, long h) {
    if (vmin <= 2) return 0;
    long row = (vmin + 2) / 5;
    return (int32_t)(row > h ? h : row);
}

/* Per-column summary of one side: toggle count and the lowest / highest toggle row. A column with
 * 0 or 2 toggles of a side is covered by that side on [lo, hi) (one ring enters and leaves); only
 * columns with more toggles need the events sorted. */
typedef struct { int32_t n_a, lo_a, hi_a, n_b, lo_b, hi_b, start; } column_t;

/* side 0 updates (n_a, lo_a, hi_a), side 1 (n_b, lo_b, hi_b): branch-free min / max */
static inline void note(column_t *c, int side, int32_t row) {
    int32_t *f = &c->n_a + 3 * side;
    f[0]++;
    f[1] = row < f[1] ? row : f[1];
    f[2] = row > f[2] ? row : f[2];
}

static void reset_columns(column_t *cols, long from, long to) {
    for (long x = from; x <= to; x++) {
        column_t *c = cols + x;
        c->n_a = c->n_b = 0;
        c->lo_a = c->lo_b = INT32_MAX;
        c->hi_a = c->hi_b = INT32_MIN;
        c->start = 0;
    }
}

/* Upsampled integer vertices of one ring, kept between calls to avoid reallocating. */
typedef struct { long *uv; size_t cap; } vbuf_t;

static int ring_events(const double *xy, int64_t n, long w, long h, double sx, double sy, int32_t part, int side,
                       column_t *cols, evbuf_t *b, vbuf_t *vb, long *cmin, long *cmax) {
    if ((size_t)(2 * n) > vb->cap) {
        long *p = (long *)realloc(vb->uv, (size_t)(2 * n) * sizeof(long));
        if (!p) return -1;
        vb->uv = p; vb->cap = (size_t)(2 * n);
    }
    long *uv = vb->uv;
    for (int64_t j = 0; j < 2 * n; j++) {
        double v = xy[j] * ((j & 1) ? sy : sx); /* the same product NumPy forms for ring * (W, H) */
        if (!(fabs(v) <= MAX_COORD_PX)) return -2; /* NaN, infinite or absurdly far */
        uv[j] = tr(5.0 * v + .5);
    }
    for (int64_t j = 0; j < n; j++) {
        int64_t k = (j + 1 == n) ? 0 : j + 1;
        long xs = uv[2 * j], ys = uv[2 * j + 1], xe = uv[2 * k], ye = uv[2 * k + 1];
        long umin = xs < xe ? xs : xe, umax = xs < xe ? xe : xs;
        /* columns c with a = 5c + 2 in [umin, umax - 1], c in [0, w - 1] */
        if (umax - 3 < 0) continue;
        long c0 = umin - 2 <= 0 ? 0 : (umin - 2 + 4) / 5;
        long c1 = (umax - 3) / 5;
        if (c1 > w - 1) c1 = w - 1;
        if (c1 < c0) continue;
        if (reserve(b, (size_t)(c1 - c0 + 1))) return -1;
        if (c0 < *cmin) *cmin = c0;
        if (c1 > *cmax) *cmax = c1;
        long dx = labs(xe - xs), dy = labs(ye - ys);
        int flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
        if (flip) { long t = xs; xs = xe; xe = t; t = ys; ys = ye; ye = t; }
        if (dx >= dy) {
            double s = (double)(ye - ys) / (double)dx;
            long add = s < 0 ? 1 : 0;
            for (long c = c0; c <= c1; c++) {
                long t = 5 * c + 2 - xs + add;
                int32_t row = toggle_row(tr((double)ys + s * (double)t + .5), h);
                note(cols + c, side, row);
                put(b, (int32_t)c, row, part);
            }
        } else {
            double s = (double)(xe - xs) / (double)dy, inv_s = (double)dy / (double)(xe - xs);
            for (long c = c0; c <= c1; c++) {
                long a = 5 * c + 2;
                /* a first guess by division, settled by evaluating the samples as pycocotools rounds them */
                long g = (long)(((double)a + .5 - (double)xs) * inv_s);
                if (g < 0) g = 0; else if (g > dy - 1) g = dy - 1;
                if (s > 0) {
                    while (g > 0 && tr((double)xs + s * (double)g + .5) > a) g--;
                    while (g < dy - 1 && tr((double)xs + s * (double)(g + 1) + .5) <= a) g++;
                } else {
                    while (g > 0 && tr((double)xs + s * (double)g + .5) < a + 1) g--;
                    while (g < dy - 1 && tr((double)xs + s * (double)(g + 1) + .5) >= a + 1) g++;
                }
                int32_t row = toggle_row(ys + g, h);
                note(cols + c, side, row);
                put(b, (int32_t)c, row, part);
            }
        }
    }
    return 0;
}

static int cmp_col_row(const void *a, const void *b) {
    const event_t *x = (const event_t *)a, *y = (const event_t *)b;
    if (x->col != y->col) return (x->col > y->col) - (x->col < y->col);
    return (x->row > y->row) - (x->row < y->row);
}

typedef struct {
    evbuf_t ev, slow;
    vbuf_t vb;
    column_t *col;
    size_t col_cap;
    int32_t *parity;
    size_t parity_cap;
} work_t;

static int pair_overlap(work_t *wk, const Py_buffer *rings, int normalized, const int64_t *part_r,
                        const int64_t *part_side, int64_t p0, int64_t p1, long w, long h, double *out) {
    evbuf_t *b = &wk->ev;
    b->n = 0;
    if ((size_t)w > wk->col_cap) {
        free(wk->col);
        wk->col = (column_t *)malloc((size_t)w * sizeof(column_t));
        if (!wk->col) { wk->col_cap = 0; return -1; }
        wk->col_cap = (size_t)w;
        reset_columns(wk->col, 0, w - 1);
    }
    if ((size_t)(p1 - p0) > wk->parity_cap) {
        free(wk->parity);
        wk->parity = (int32_t *)calloc((size_t)(p1 - p0), sizeof(int32_t));
        if (!wk->parity) { wk->parity_cap = 0; return -1; }
        wk->parity_cap = (size_t)(p1 - p0);
    }
    column_t *cols = wk->col;
    long cmin = w, cmax = -1;
    for (int64_t p = p0; p < p1; p++)
        for (int64_t r = part_r[p]; r < part_r[p + 1]; r++) {
            int rc = ring_events((const double *)rings[r].buf, rings[r].len / (Py_ssize_t)(2 * sizeof(double)), w, h,
                                 normalized ? (double)w : 1.0, normalized ? (double)h : 1.0, (int32_t)(p - p0), (int)part_side[p], cols, b, &wk->vb, &cmin, &cmax);
            if (rc) return rc;
        }
    double inter = 0, area_a = 0, area_b = 0;
    int any_slow = 0;
    for (long x = cmin; x <= cmax; x++) {
        column_t *c = cols + x;
        if (c->n_a > 2 || c->n_b > 2) { any_slow = 1; continue; }  /* left for the sorted pass */
        long la = c->n_a ? c->hi_a - c->lo_a : 0, lb = c->n_b ? c->hi_b - c->lo_b : 0;
        area_a += la; area_b += lb;
        if (la > 0 && lb > 0) {
            long lo = c->lo_a > c->lo_b ? c->lo_a : c->lo_b, hi = c->hi_a < c->hi_b ? c->hi_a : c->hi_b;
            if (hi > lo) inter += hi - lo;
        }
    }
    if (any_slow) {
        /* counting sort of the complex columns' events by column, then by row within a column */
        evbuf_t *sb = &wk->slow;
        size_t total = 0;
        for (long x = cmin; x <= cmax; x++) {
            column_t *c = cols + x;
            if (c->n_a > 2 || c->n_b > 2) { c->start = (int32_t)total; total += (size_t)(c->n_a + c->n_b); }
        }
        sb->n = 0;
        if (reserve(sb, total)) return -1;
        for (size_t e = 0; e < b->n; e++) {
            column_t *c = cols + b->ev[e].col;
            if (c->n_a > 2 || c->n_b > 2) sb->ev[c->start++] = b->ev[e];
        }
        sb->n = total;
        for (size_t e = 0; e < total;) {
            size_t f = e;
            while (f < total && sb->ev[f].col == sb->ev[e].col) f++;
            event_t *run = sb->ev + e;
            size_t k = f - e;
            if (k > 32) {
                qsort(run, k, sizeof(event_t), cmp_col_row);
            } else {
                for (size_t x = 1; x < k; x++) {
                    event_t t = run[x];
                    size_t y = x;
                    while (y > 0 && run[y - 1].row > t.row) { run[y] = run[y - 1]; y--; }
                    run[y] = t;
                }
            }
            e = f;
        }
        int32_t *parity = wk->parity;
        size_t e = 0;
        while (e < sb->n) {
            int32_t colx = sb->ev[e].col;
            long ca = 0, cb = 0, prev = 0;
            for (; e < sb->n && sb->ev[e].col == colx; e++) {
                long len = sb->ev[e].row - prev;
                if (ca > 0) area_a += len;
                if (cb > 0) area_b += len;
                if (ca > 0 && cb > 0) inter += len;
                int32_t part = sb->ev[e].part;
                parity[part] ^= 1;
                long d = parity[part] ? 1 : -1;
                if (part_side[p0 + part] == 0) ca += d; else cb += d;
                prev = sb->ev[e].row;
            }
        }
    }
    if (cmax >= cmin) reset_columns(cols, cmin, cmax);
    out[0] = inter; out[1] = area_a; out[2] = area_b;
    return 0;
}

static PyObject *iou_batch(PyObject *self, PyObject *args) {
    PyObject *ring_list;
    Py_buffer bpr, bps, bpp, bwh, bout;
    int normalized = 0;
    if (!PyArg_ParseTuple(args, "O!y*y*y*y*w*|p", &PyList_Type, &ring_list, &bpr, &bps, &bpp, &bwh, &bout, &normalized)) return NULL;
    Py_ssize_t nrings = PyList_GET_SIZE(ring_list), got = 0;
    Py_buffer *rings = (Py_buffer *)PyMem_Calloc((size_t)(nrings ? nrings : 1), sizeof(Py_buffer));
    int failed = rings ? 0 : -1;
    for (; !failed && got < nrings; got++) {
        if (PyObject_GetBuffer(PyList_GET_ITEM(ring_list, got), rings + got, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) { failed = -3; break; }
        if (rings[got].itemsize != sizeof(double) || !rings[got].format || strcmp(rings[got].format, "d") != 0 ||
            rings[got].ndim != 2 || !rings[got].shape || rings[got].shape[1] != 2 || rings[got].shape[0] < 3) {
            got++; failed = -4; break;
        }
    }
    const int64_t *part_r = (const int64_t *)bpr.buf, *part_side = (const int64_t *)bps.buf;
    const int64_t *pair_p = (const int64_t *)bpp.buf, *wh = (const int64_t *)bwh.buf;
    double *out = (double *)bout.buf;
    Py_ssize_t npairs = bpp.len / (Py_ssize_t)sizeof(int64_t) - 1;
    work_t wk;
    memset(&wk, 0, sizeof(wk));
    if (!failed) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < npairs && !failed; i++)
            failed = pair_overlap(&wk, rings, normalized, part_r, part_side, pair_p[i], pair_p[i + 1],
                                  (long)wh[2 * i], (long)wh[2 * i + 1], out + 3 * i);
        Py_END_ALLOW_THREADS
    }
    free(wk.ev.ev); free(wk.slow.ev); free(wk.vb.uv); free(wk.col); free(wk.parity);
    for (Py_ssize_t r = 0; r < got; r++) if (rings[r].obj) PyBuffer_Release(rings + r);
    PyMem_Free(rings);
    PyBuffer_Release(&bpr); PyBuffer_Release(&bps); PyBuffer_Release(&bpp); PyBuffer_Release(&bwh); PyBuffer_Release(&bout);
    if (failed == -1) return PyErr_NoMemory();
    if (failed == -2) { PyErr_SetString(PyExc_ValueError, "coordinates must be finite and within +-1e8 pixels"); return NULL; }
    if (failed == -3) return NULL;
    if (failed == -4) { PyErr_SetString(PyExc_ValueError, "each ring must be a C-contiguous float64 (N, 2) array with N >= 3"); return NULL; }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"iou_batch", iou_batch, METH_VARARGS, "Intersection and areas of polygon pairs (see module comment)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_rasterc", NULL, -1, methods};

PyMODINIT_FUNC PyInit__rasterc(void) { return PyModule_Create(&module); }
