/* sgdswift._core: the CPython face of the Swift core (sgdswift.h).
 *
 * Buffers in, status codes out, the GIL released around every core call. No training logic here:
 * argument checking for users lives in the Python package, the checks the maths needs in the core.
 * Arrays are taken through the buffer protocol (no NumPy headers, any NumPy version) and never
 * copied: C-contiguous buffers of the network's dtype are required.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <string.h>

#include "sgdswift.h"

#define MESSAGE_CAPACITY 1024

/* Marks an object in use by a core call that runs with the GIL released. */
typedef struct {
    int busy;
    unsigned long thread;
} UseGuard;

typedef struct {
    PyObject_HEAD
    void *network;          /* owned Swift handle */
    int dtype;              /* SGD_FLOAT32 or SGD_FLOAT64 */
    Py_ssize_t itemsize;
    Py_ssize_t parameter_count;
    void *parameters;       /* owned by the network, fixed for its lifetime */
    UseGuard use;
} NetworkObject;

typedef struct {
    PyObject_HEAD
    void *optimizer;        /* owned Swift handle */
    int dtype;
    UseGuard use;
} OptimizerObject;

static PyTypeObject OptimizerType;

/* ---- helpers ---------------------------------------------------------------------------------- */

static PyObject *raise_status(sgd_status status, const char *message) {
    PyObject *type = status == SGD_OUT_OF_MEMORY ? PyExc_MemoryError : PyExc_ValueError;
    PyObject *text = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
    if (text) {
        PyErr_SetObject(type, text);
        Py_DECREF(text);
    }
    return NULL;
}

/* A format string's type character without byte-order prefixes ('@', '=', '<'). */
static char format_code(const char *format) {
    if (!format) return 'B';
    while (*format == '@' || *format == '=' || *format == '<') format++;
    return format[1] == '\0' ? format[0] : '\0';
}

static int is_float_format(const Py_buffer *view, int dtype) {
    char code = format_code(view->format);
    return dtype == SGD_FLOAT32 ? (code == 'f' && view->itemsize == 4) : (code == 'd' && view->itemsize == 8);
}

static int is_int64_format(const Py_buffer *view) {
    char code = format_code(view->format);
    return (code == 'l' || code == 'q') && view->itemsize == 8;
}

static const char *dtype_name(int dtype) { return dtype == SGD_FLOAT32 ? "float32" : "float64"; }

/* Acquires a C-contiguous 2-D buffer of the network's dtype. */
static int get_matrix(NetworkObject *self, PyObject *object, const char *name, int writable, Py_buffer *view,
                      sgd_matrix *matrix) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, view, flags) < 0) return -1;
    if (view->ndim != 2 || !is_float_format(view, self->dtype)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a 2-D C-contiguous %s buffer, got %d-D format '%s'", name,
                     dtype_name(self->dtype), view->ndim, view->format ? view->format : "B");
        PyBuffer_Release(view);
        return -1;
    }
    matrix->data = view->buf;
    matrix->rows = view->shape[0];
    matrix->columns = view->shape[1];
    return 0;
}

/* Acquires targets: 1-D int64 class labels or a 2-D buffer of the network's dtype. */
static int get_targets(NetworkObject *self, PyObject *object, const char *name, Py_buffer *view,
                       sgd_targets *targets) {
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->ndim == 1 && is_int64_format(view)) {
        *targets = (sgd_targets){view->buf, view->shape[0], 1, SGD_TARGETS_LABELS};
        return 0;
    }
    if (view->ndim == 2 && is_float_format(view, self->dtype)) {
        *targets = (sgd_targets){view->buf, view->shape[0], view->shape[1], SGD_TARGETS_DENSE};
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s: expected 1-D int64 labels or a 2-D %s buffer, got %d-D format '%s'", name,
                 dtype_name(self->dtype), view->ndim, view->format ? view->format : "B");
    PyBuffer_Release(view);
    return -1;
}

/* One object, one core call at a time. The thread that runs a fit may call back into the network
 * from its progress callback (the core is paused there); any other thread is refused. */
static int enter(UseGuard *use, const char *name, int reentrant_allowed) {
    if (use->busy && !(reentrant_allowed && use->thread == PyThread_get_thread_ident())) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s: already in use by a running call (fit, predict, step, ...); it serves one call at a time", name);
        return -1;
    }
    return 0;
}

/* Marks `use` busy for this thread; returns the previous state for `leave`. */
static UseGuard occupy(UseGuard *use) {
    UseGuard previous = *use;
    use->busy = 1;
    use->thread = PyThread_get_thread_ident();
    return previous;
}

static void leave(UseGuard *use, UseGuard previous) { *use = previous; }

/* ---- type ------------------------------------------------------------------------------------- */

static int Network_init(NetworkObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"dtype", "sizes", "hidden", "output", "loss", "init", "seed", NULL};
    int dtype;
    PyObject *sizes_object;
    const char *hidden, *output, *loss, *initializer;
    unsigned long long seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iOssssK", keywords, &dtype, &sizes_object, &hidden, &output,
                                     &loss, &initializer, &seed))
        return -1;
    if (self->network) {
        PyErr_SetString(PyExc_RuntimeError, "network: already initialised");
        return -1;
    }
    PyObject *sizes = PySequence_Fast(sizes_object, "sizes: expected a sequence of ints");
    if (!sizes) return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(sizes);
    int64_t *values = PyMem_New(int64_t, count > 0 ? count : 1);
    if (!values) {
        Py_DECREF(sizes);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        values[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(sizes, i));
        if (values[i] == -1 && PyErr_Occurred()) {
            PyMem_Free(values);
            Py_DECREF(sizes);
            return -1;
        }
    }
    Py_DECREF(sizes);
    char message[MESSAGE_CAPACITY] = "";
    void *network = NULL;
    sgd_status status;
    Py_BEGIN_ALLOW_THREADS
    status = sgd_network_create(dtype, values, count, hidden, output, loss, initializer, seed, &network, message,
                                MESSAGE_CAPACITY);
    Py_END_ALLOW_THREADS
    PyMem_Free(values);
    if (status != SGD_OK) {
        raise_status(status, message);
        return -1;
    }
    int64_t parameter_count = 0;
    self->network = network;
    self->dtype = dtype;
    self->itemsize = dtype == SGD_FLOAT32 ? 4 : 8;
    sgd_network_parameters(network, &self->parameters, &parameter_count);
    self->parameter_count = (Py_ssize_t)parameter_count;
    return 0;
}

static void Network_dealloc(NetworkObject *self) {
    if (self->network) sgd_network_destroy(self->network);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int require_network(NetworkObject *self) {
    if (!self->network) {
        PyErr_SetString(PyExc_RuntimeError, "network: not initialised");
        return -1;
    }
    return 0;
}

/* The flat parameter vector θ = [W1, b1, W2, b2, ...], writable, shared with the core. */
static int Network_getbuffer(NetworkObject *self, Py_buffer *view, int flags) {
    if (require_network(self) < 0) {
        view->obj = NULL;
        return -1;
    }
    view->obj = Py_NewRef((PyObject *)self);
    view->buf = self->parameters;
    view->len = self->parameter_count * self->itemsize;
    view->readonly = 0;
    view->itemsize = self->itemsize;
    view->format = (flags & PyBUF_FORMAT) ? (self->dtype == SGD_FLOAT32 ? "f" : "d") : NULL;
    view->ndim = 1;
    view->shape = (flags & PyBUF_ND) ? &self->parameter_count : NULL;
    view->strides = (flags & PyBUF_STRIDES) ? &self->itemsize : NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    return 0;
}

static PyBufferProcs Network_as_buffer = {(getbufferproc)Network_getbuffer, NULL};

static PyObject *Network_predict(NetworkObject *self, PyObject *args) {
    PyObject *x_object, *out_object;
    if (!PyArg_ParseTuple(args, "OO", &x_object, &out_object)) return NULL;
    if (require_network(self) < 0 || enter(&self->use, "network", 1) < 0) return NULL;
    Py_buffer x_view, out_view;
    sgd_matrix x, out;
    if (get_matrix(self, x_object, "X", 0, &x_view, &x) < 0) return NULL;
    if (get_matrix(self, out_object, "out", 1, &out_view, &out) < 0) {
        PyBuffer_Release(&x_view);
        return NULL;
    }
    char message[MESSAGE_CAPACITY] = "";
    sgd_status status;
    UseGuard previous = occupy(&self->use);
    Py_BEGIN_ALLOW_THREADS
    status = sgd_network_predict(self->network, x, out_view.buf, out.rows * out.columns, message, MESSAGE_CAPACITY);
    Py_END_ALLOW_THREADS
    leave(&self->use, previous);
    PyBuffer_Release(&x_view);
    PyBuffer_Release(&out_view);
    if (status != SGD_OK) return raise_status(status, message);
    Py_RETURN_NONE;
}

static PyObject *Network_evaluate(NetworkObject *self, PyObject *args) {
    PyObject *x_object, *y_object;
    if (!PyArg_ParseTuple(args, "OO", &x_object, &y_object)) return NULL;
    if (require_network(self) < 0 || enter(&self->use, "network", 1) < 0) return NULL;
    Py_buffer x_view, y_view;
    sgd_matrix x;
    sgd_targets y;
    if (get_matrix(self, x_object, "X", 0, &x_view, &x) < 0) return NULL;
    if (get_targets(self, y_object, "Y", &y_view, &y) < 0) {
        PyBuffer_Release(&x_view);
        return NULL;
    }
    char message[MESSAGE_CAPACITY] = "";
    double loss = 0;
    int64_t correct = -1;
    sgd_status status;
    UseGuard previous = occupy(&self->use);
    Py_BEGIN_ALLOW_THREADS
    status = sgd_network_evaluate(self->network, x, y, &loss, &correct, message, MESSAGE_CAPACITY);
    Py_END_ALLOW_THREADS
    leave(&self->use, previous);
    PyBuffer_Release(&x_view);
    PyBuffer_Release(&y_view);
    if (status != SGD_OK) return raise_status(status, message);
    if (correct < 0) return Py_BuildValue("(dO)", loss, Py_None);
    return Py_BuildValue("(dL)", loss, (long long)correct);
}

static PyObject *Network_gradient(NetworkObject *self, PyObject *args) {
    PyObject *x_object, *y_object, *out_object;
    if (!PyArg_ParseTuple(args, "OOO", &x_object, &y_object, &out_object)) return NULL;
    if (require_network(self) < 0 || enter(&self->use, "network", 1) < 0) return NULL;
    Py_buffer x_view, y_view, out_view;
    sgd_matrix x;
    sgd_targets y;
    if (get_matrix(self, x_object, "X", 0, &x_view, &x) < 0) return NULL;
    if (get_targets(self, y_object, "Y", &y_view, &y) < 0) {
        PyBuffer_Release(&x_view);
        return NULL;
    }
    if (PyObject_GetBuffer(out_object, &out_view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&x_view);
        PyBuffer_Release(&y_view);
        return NULL;
    }
    if (out_view.ndim != 1 || !is_float_format(&out_view, self->dtype)) {
        PyErr_Format(PyExc_TypeError, "out: expected a 1-D %s buffer", dtype_name(self->dtype));
        PyBuffer_Release(&x_view);
        PyBuffer_Release(&y_view);
        PyBuffer_Release(&out_view);
        return NULL;
    }
    char message[MESSAGE_CAPACITY] = "";
    double loss = 0;
    sgd_status status;
    UseGuard previous = occupy(&self->use);
    Py_BEGIN_ALLOW_THREADS
    status = sgd_network_gradient(self->network, x, y, out_view.buf, out_view.shape[0], &loss, message,
                                  MESSAGE_CAPACITY);
    Py_END_ALLOW_THREADS
    leave(&self->use, previous);
    PyBuffer_Release(&x_view);
    PyBuffer_Release(&y_view);
    PyBuffer_Release(&out_view);
    if (status != SGD_OK) return raise_status(status, message);
    return PyFloat_FromDouble(loss);
}

typedef struct {
    PyObject *callback;       /* callable(kind, epoch, index, loss, lr) or None */
    PyThreadState *thread_state;
} FitContext;

/* Called by the core with the GIL released: takes it, checks for Ctrl-C, passes the event to the
 * Python callback, gives the GIL back. The callback returns False to stop, a float to set the
 * learning rate, anything else to go on. Non-zero stops training; a pending exception says why. */
static int32_t fit_progress(void *context, sgd_event *event) {
    FitContext *fit = (FitContext *)context;
    PyEval_RestoreThread(fit->thread_state);
    int32_t stop = 0;
    if (PyErr_CheckSignals() < 0) {
        stop = 1;
    } else if (fit->callback != Py_None) {
        long long index = event->kind == SGD_EVENT_TICK ? event->rows : event->batch;
        PyObject *result = PyObject_CallFunction(fit->callback, "iLLdd", (int)event->kind, (long long)event->epoch,
                                                 index, event->loss, event->learning_rate);
        if (result == NULL || result == Py_False) {
            stop = 1;
        } else if (PyFloat_Check(result)) {
            event->learning_rate = PyFloat_AS_DOUBLE(result);
        }
        Py_XDECREF(result);
    }
    fit->thread_state = PyEval_SaveThread();
    return stop;
}

/* Acquires a writable C-contiguous float64 buffer holding at least `count` values. */
static int get_float64_output(PyObject *object, const char *name, Py_ssize_t count, Py_buffer *view) {
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) return -1;
    if (format_code(view->format) != 'd' || view->itemsize != 8 || view->len / 8 < count) {
        PyErr_Format(PyExc_TypeError, "%s: expected a writable float64 buffer of at least %zd values", name, count);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *Network_fit(NetworkObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"optimizer", "X", "Y", "validation_X", "validation_Y", "epochs", "batch_size",
                               "shuffle", "seed", "stream", "l2", "clip_norm", "normalize_gradient",
                               "report_batches", "history", "gradient_norms", "callback", NULL};
    PyObject *x_object, *y_object, *vx_object, *vy_object, *history_object, *norms_object, *callback;
    OptimizerObject *optimizer;
    sgd_fit_options options;
    long long epochs, batch_size;
    int shuffle, normalize_gradient, report_batches;
    unsigned long long seed, stream;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!OOOOLLpKKddppOOO", keywords, &OptimizerType, &optimizer,
                                     &x_object, &y_object, &vx_object, &vy_object, &epochs, &batch_size, &shuffle,
                                     &seed, &stream, &options.l2, &options.clip_norm, &normalize_gradient,
                                     &report_batches, &history_object, &norms_object, &callback))
        return NULL;
    if (require_network(self) < 0 || enter(&self->use, "network", 0) < 0 ||
        enter(&optimizer->use, "optimizer", 0) < 0)
        return NULL;
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "callback: expected a callable or None");
        return NULL;
    }
    options.epochs = epochs;
    options.batch_size = batch_size;
    options.shuffle = shuffle;
    options.seed = seed;
    options.stream = stream;
    options.normalize_gradient = normalize_gradient;
    options.report_batches = report_batches;
    Py_buffer views[6];
    int acquired = 0;
    sgd_matrix x, vx = {NULL, 0, 0};
    sgd_targets y, vy = {NULL, 0, 0, SGD_TARGETS_DENSE};
    PyObject *result = NULL;
    if (get_matrix(self, x_object, "X", 0, &views[acquired], &x) < 0) goto done;
    acquired++;
    if (get_targets(self, y_object, "Y", &views[acquired], &y) < 0) goto done;
    acquired++;
    if (vx_object != Py_None) {
        if (get_matrix(self, vx_object, "validation_data X", 0, &views[acquired], &vx) < 0) goto done;
        acquired++;
        if (get_targets(self, vy_object, "validation_data Y", &views[acquired], &vy) < 0) goto done;
        acquired++;
    }
    if (get_float64_output(history_object, "history", 0, &views[acquired]) < 0) goto done;
    Py_buffer *history = &views[acquired++];
    if (get_float64_output(norms_object, "gradient_norms", 0, &views[acquired]) < 0) goto done;
    Py_buffer *norms = &views[acquired++];
    char message[MESSAGE_CAPACITY] = "";
    int64_t epochs_done = 0;
    FitContext context = {callback, NULL};
    sgd_status status;
    UseGuard previous_network = occupy(&self->use), previous_optimizer = occupy(&optimizer->use);
    context.thread_state = PyEval_SaveThread();
    status = sgd_network_fit(self->network, optimizer->optimizer, x, y, vx, vy, options,
                             (sgd_epoch_record *)history->buf,
                             (int64_t)(history->len / (Py_ssize_t)sizeof(sgd_epoch_record)), (double *)norms->buf,
                             (int64_t)(norms->len / 8), fit_progress, &context, &epochs_done, message,
                             MESSAGE_CAPACITY);
    PyEval_RestoreThread(context.thread_state);
    leave(&optimizer->use, previous_optimizer);
    leave(&self->use, previous_network);
    if (status == SGD_INTERRUPTED && PyErr_Occurred()) goto done;
    if (status == SGD_DIVERGED) {
        result = Py_BuildValue("(Ls)", (long long)epochs_done, message);
    } else if (status != SGD_OK && status != SGD_INTERRUPTED) {
        raise_status(status, message);
    } else {
        result = Py_BuildValue("(LO)", (long long)epochs_done, Py_None);
    }
done:
    for (int i = 0; i < acquired; i++) PyBuffer_Release(&views[i]);
    return result;
}

static PyObject *Network_get_parameter_count(NetworkObject *self, void *closure) {
    return PyLong_FromSsize_t(self->parameter_count);
}

static PyMethodDef Network_methods[] = {
    {"predict", (PyCFunction)Network_predict, METH_VARARGS, "predict(X, out): output activations of X into out."},
    {"evaluate", (PyCFunction)Network_evaluate, METH_VARARGS,
     "evaluate(X, Y) -> (mean loss, correctly classified rows or None)."},
    {"gradient", (PyCFunction)Network_gradient, METH_VARARGS,
     "gradient(X, Y, out) -> mean loss; its gradient, laid out as the parameters, into out."},
    {"fit", (PyCFunction)(void (*)(void))Network_fit, METH_VARARGS | METH_KEYWORDS,
     "fit(optimizer, X, Y, validation_X, validation_Y, epochs, batch_size, shuffle, seed, stream, l2, clip_norm,"
     " normalize_gradient, report_batches, history, gradient_norms, callback) -> (finished epochs, divergence"
     " message or None)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Network_getset[] = {
    {"parameter_count", (getter)Network_get_parameter_count, NULL, "Number of parameters.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject NetworkType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sgdswift._core.Network",
    .tp_doc = "A Swift-core network handle; use sgdswift.Network.",
    .tp_basicsize = sizeof(NetworkObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Network_init,
    .tp_dealloc = (destructor)Network_dealloc,
    .tp_as_buffer = &Network_as_buffer,
    .tp_methods = Network_methods,
    .tp_getset = Network_getset,
};

/* ---- optimizer type --------------------------------------------------------------------------- */

static int Optimizer_init(OptimizerObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"dtype", "rule", "lr", "weight_decay", "momentum", "dampening", "nesterov", "alpha",
                               "eps", "beta1", "beta2", "amsgrad", "decoupled_weight_decay", NULL};
    int dtype, nesterov, amsgrad, decoupled;
    sgd_optimizer_settings settings;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iiddddpddddpp", keywords, &dtype, &settings.rule,
                                     &settings.learning_rate, &settings.weight_decay, &settings.momentum,
                                     &settings.dampening, &nesterov, &settings.alpha, &settings.epsilon,
                                     &settings.beta1, &settings.beta2, &amsgrad, &decoupled))
        return -1;
    if (self->optimizer) {
        PyErr_SetString(PyExc_RuntimeError, "optimizer: already initialised");
        return -1;
    }
    settings.nesterov = nesterov;
    settings.amsgrad = amsgrad;
    settings.decoupled_weight_decay = decoupled;
    char message[MESSAGE_CAPACITY] = "";
    sgd_status status = sgd_optimizer_create(dtype, settings, &self->optimizer, message, MESSAGE_CAPACITY);
    if (status != SGD_OK) {
        raise_status(status, message);
        return -1;
    }
    self->dtype = dtype;
    return 0;
}

static void Optimizer_dealloc(OptimizerObject *self) {
    if (self->optimizer) sgd_optimizer_destroy(self->optimizer);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int require_optimizer(OptimizerObject *self) {
    if (!self->optimizer) {
        PyErr_SetString(PyExc_RuntimeError, "optimizer: not initialised");
        return -1;
    }
    return 0;
}

/* step(parameters, gradients): lists of C-contiguous arrays of the optimizer's dtype, pairwise of
 * equal size; the parameters are updated in place. */
static PyObject *Optimizer_step(OptimizerObject *self, PyObject *args) {
    PyObject *parameters_object, *gradients_object;
    if (!PyArg_ParseTuple(args, "OO", &parameters_object, &gradients_object)) return NULL;
    if (require_optimizer(self) < 0 || enter(&self->use, "optimizer", 0) < 0) return NULL;
    PyObject *parameters = PySequence_Fast(parameters_object, "parameters: expected a list of arrays");
    if (!parameters) return NULL;
    PyObject *gradients = PySequence_Fast(gradients_object, "gradients: expected a list of arrays");
    if (!gradients) {
        Py_DECREF(parameters);
        return NULL;
    }
    Py_ssize_t arrays = PySequence_Fast_GET_SIZE(parameters), acquired = 0;
    PyObject *result = NULL;
    Py_buffer *views = PyMem_New(Py_buffer, 2 * arrays + 1);
    void **parameter_data = PyMem_New(void *, arrays + 1);
    const void **gradient_data = PyMem_New(const void *, arrays + 1);
    int64_t *counts = PyMem_New(int64_t, arrays + 1);
    if (!views || !parameter_data || !gradient_data || !counts) {
        PyErr_NoMemory();
        goto done;
    }
    if (PySequence_Fast_GET_SIZE(gradients) != arrays) {
        PyErr_Format(PyExc_ValueError, "gradients: expected %zd arrays (one per parameter), got %zd", arrays,
                     PySequence_Fast_GET_SIZE(gradients));
        goto done;
    }
    for (Py_ssize_t i = 0; i < arrays; i++) {
        Py_buffer *parameter = &views[acquired];
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(parameters, i), parameter,
                               PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0)
            goto done;
        acquired++;
        Py_buffer *gradient = &views[acquired];
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(gradients, i), gradient, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
            goto done;
        acquired++;
        if (!is_float_format(parameter, self->dtype) || !is_float_format(gradient, self->dtype) ||
            parameter->len != gradient->len) {
            PyErr_Format(PyExc_TypeError, "parameters[%zd], gradients[%zd]: expected %s buffers of equal size", i, i,
                         dtype_name(self->dtype));
            goto done;
        }
        parameter_data[i] = parameter->buf;
        gradient_data[i] = gradient->buf;
        counts[i] = parameter->len / parameter->itemsize;
    }
    char message[MESSAGE_CAPACITY] = "";
    sgd_status status;
    UseGuard previous = occupy(&self->use);
    Py_BEGIN_ALLOW_THREADS
    status = sgd_optimizer_step(self->optimizer, parameter_data, gradient_data, counts, arrays, message,
                                MESSAGE_CAPACITY);
    Py_END_ALLOW_THREADS
    leave(&self->use, previous);
    if (status != SGD_OK) {
        raise_status(status, message);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    for (Py_ssize_t i = 0; i < acquired; i++) PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    PyMem_Free(parameter_data);
    PyMem_Free(gradient_data);
    PyMem_Free(counts);
    Py_DECREF(parameters);
    Py_DECREF(gradients);
    return result;
}

static PyObject *Optimizer_reset(OptimizerObject *self, PyObject *args) {
    long long count;
    if (!PyArg_ParseTuple(args, "L", &count)) return NULL;
    if (require_optimizer(self) < 0 || enter(&self->use, "optimizer", 0) < 0) return NULL;
    char message[MESSAGE_CAPACITY] = "";
    sgd_status status = sgd_optimizer_reset(self->optimizer, count, message, MESSAGE_CAPACITY);
    if (status != SGD_OK) return raise_status(status, message);
    Py_RETURN_NONE;
}

static PyObject *Optimizer_info(OptimizerObject *self, PyObject *unused) {
    if (require_optimizer(self) < 0) return NULL;
    int64_t count = 0, steps = 0, state_count = 0;
    sgd_optimizer_info(self->optimizer, &count, &steps, &state_count);
    return Py_BuildValue("(LLL)", (long long)count, (long long)steps, (long long)state_count);
}

static PyObject *Optimizer_set_lr(OptimizerObject *self, PyObject *args) {
    double lr;
    if (!PyArg_ParseTuple(args, "d", &lr)) return NULL;
    if (require_optimizer(self) < 0 || enter(&self->use, "optimizer", 0) < 0) return NULL;
    char message[MESSAGE_CAPACITY] = "";
    sgd_status status = sgd_optimizer_set_learning_rate(self->optimizer, lr, message, MESSAGE_CAPACITY);
    if (status != SGD_OK) return raise_status(status, message);
    Py_RETURN_NONE;
}

static PyObject *Optimizer_get_state(OptimizerObject *self, PyObject *args) {
    PyObject *out_object;
    if (!PyArg_ParseTuple(args, "O", &out_object)) return NULL;
    if (require_optimizer(self) < 0 || enter(&self->use, "optimizer", 1) < 0) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(out_object, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) return NULL;
    if (!is_float_format(&view, self->dtype)) {
        PyErr_Format(PyExc_TypeError, "out: expected a %s buffer", dtype_name(self->dtype));
        PyBuffer_Release(&view);
        return NULL;
    }
    char message[MESSAGE_CAPACITY] = "";
    sgd_status status = sgd_optimizer_get_state(self->optimizer, view.buf, view.len / view.itemsize, message,
                                                MESSAGE_CAPACITY);
    PyBuffer_Release(&view);
    if (status != SGD_OK) return raise_status(status, message);
    Py_RETURN_NONE;
}

static PyObject *Optimizer_restore(OptimizerObject *self, PyObject *args) {
    long long count, steps;
    PyObject *values_object;
    if (!PyArg_ParseTuple(args, "LLO", &count, &steps, &values_object)) return NULL;
    if (require_optimizer(self) < 0 || enter(&self->use, "optimizer", 0) < 0) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(values_object, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (!is_float_format(&view, self->dtype)) {
        PyErr_Format(PyExc_TypeError, "values: expected a %s buffer", dtype_name(self->dtype));
        PyBuffer_Release(&view);
        return NULL;
    }
    char message[MESSAGE_CAPACITY] = "";
    sgd_status status = sgd_optimizer_restore(self->optimizer, count, steps, view.buf, view.len / view.itemsize,
                                              message, MESSAGE_CAPACITY);
    PyBuffer_Release(&view);
    if (status != SGD_OK) return raise_status(status, message);
    Py_RETURN_NONE;
}

static PyMethodDef Optimizer_methods[] = {
    {"step", (PyCFunction)Optimizer_step, METH_VARARGS, "step(parameters, gradients): one update, in place."},
    {"reset", (PyCFunction)Optimizer_reset, METH_VARARGS, "reset(count): fresh state for count parameters."},
    {"info", (PyCFunction)Optimizer_info, METH_NOARGS, "info() -> (parameter count, steps, state values)."},
    {"set_lr", (PyCFunction)Optimizer_set_lr, METH_VARARGS, "set_lr(lr): the learning rate of the next steps."},
    {"get_state", (PyCFunction)Optimizer_get_state, METH_VARARGS, "get_state(out): copies the state into out."},
    {"restore", (PyCFunction)Optimizer_restore, METH_VARARGS, "restore(count, steps, values): saved state back."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject OptimizerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sgdswift._core.Optimizer",
    .tp_doc = "A Swift-core optimizer handle; use sgdswift.SGD, sgdswift.Adam, ...",
    .tp_basicsize = sizeof(OptimizerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Optimizer_init,
    .tp_dealloc = (destructor)Optimizer_dealloc,
    .tp_methods = Optimizer_methods,
};

static PyObject *runtime_self_test(PyObject *module, PyObject *unused) {
    return PyBool_FromLong(sgd_runtime_self_test());
}

static PyObject *get_thread_count(PyObject *module, PyObject *unused) {
    return PyLong_FromLongLong(sgd_get_thread_count());
}

/* The count is checked in Python (sgdswift.set_num_threads); here only that it is an int. */
static PyObject *set_thread_count(PyObject *module, PyObject *args) {
    long long count;
    if (!PyArg_ParseTuple(args, "L", &count)) return NULL;
    sgd_set_thread_count(count);
    Py_RETURN_NONE;
}

static PyObject *max_threads(PyObject *module, PyObject *unused) {
    return PyLong_FromLongLong(sgd_max_threads());
}

static PyMethodDef module_methods[] = {
    {"runtime_self_test", runtime_self_test, METH_NOARGS,
     "True when the statically linked Swift runtime finds protocol conformances."},
    {"get_thread_count", get_thread_count, METH_NOARGS, "get_thread_count() -> threads sharing the core's work."},
    {"set_thread_count", set_thread_count, METH_VARARGS, "set_thread_count(n): threads sharing the core's work."},
    {"max_threads", max_threads, METH_NOARGS, "max_threads() -> the largest thread count accepted."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "sgdswift._core", "The Swift training core of sgdswift.", -1, module_methods,
};

PyMODINIT_FUNC PyInit__core(void) {
    if (PyType_Ready(&NetworkType) < 0 || PyType_Ready(&OptimizerType) < 0) return NULL;
    PyObject *module = PyModule_Create(&module_definition);
    if (!module) return NULL;
    if (PyModule_AddObjectRef(module, "Network", (PyObject *)&NetworkType) < 0 ||
        PyModule_AddObjectRef(module, "Optimizer", (PyObject *)&OptimizerType) < 0 ||
        PyModule_AddIntConstant(module, "RULE_SGD", SGD_RULE_SGD) < 0 ||
        PyModule_AddIntConstant(module, "RULE_ADAGRAD", SGD_RULE_ADAGRAD) < 0 ||
        PyModule_AddIntConstant(module, "RULE_RMSPROP", SGD_RULE_RMSPROP) < 0 ||
        PyModule_AddIntConstant(module, "RULE_ADAM", SGD_RULE_ADAM) < 0 ||
        PyModule_AddIntConstant(module, "EVENT_TICK", SGD_EVENT_TICK) < 0 ||
        PyModule_AddIntConstant(module, "EVENT_BATCH_END", SGD_EVENT_BATCH_END) < 0 ||
        PyModule_AddIntConstant(module, "EVENT_EPOCH_END", SGD_EVENT_EPOCH_END) < 0 ||
        PyModule_AddIntConstant(module, "FLOAT32", SGD_FLOAT32) < 0 ||
        PyModule_AddIntConstant(module, "FLOAT64", SGD_FLOAT64) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
