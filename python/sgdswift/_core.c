/* sgdswift._core: the CPython face of the Swift core (sgdswift.h). Buffers in, status codes out, the GIL
 * released around every core call; no training logic (users' arguments are checked in the Python package,
 * what the maths needs in the core). Arrays come through the buffer protocol (no NumPy headers, any NumPy
 * version), never copied: C-contiguous buffers of the network's dtype are required.
 *
 * Every method has the same shape: parse its keywords into the BufferRequests it declares; begin_call
 * (acquire the buffers, all or none; occupy the objects; release the GIL); the core call; end_call (take
 * the GIL back, free the objects, release the buffers, raise from the status).
 *
 * Only CPython's limited API is used, so that with Py_LIMITED_API defined (setup.py does so from 3.11 on,
 * where the buffer protocol joined it) one build serves every later CPython: the types are made from
 * specs, and objects are reached through functions, never through struct fields.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "sgdswift.h"

#define MESSAGE_CAPACITY 1024

/* The columns of sgd_epoch_record in struct order, as the Python history keys (RECORD_FIELDS). */
static const char *const record_fields[] = {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"};
#define RECORD_FIELD_COUNT ((Py_ssize_t)(sizeof record_fields / sizeof record_fields[0]))
_Static_assert(sizeof(sgd_epoch_record) == RECORD_FIELD_COUNT * sizeof(double),
               "record_fields must name every double of sgd_epoch_record");

/* A Python object over a Swift object of the core: an Optimizer, or the head of a Network. */
typedef struct {
    PyObject_HEAD
    void *handle;         /* owned; made with the object (tp_new), so never NULL */
    int dtype;            /* SGD_FLOAT32 or SGD_FLOAT64 */
    int calls;            /* core calls running on it (GIL released): one, or more nested in a fit's callback */
    unsigned long thread; /* the thread they run on */
} CoreObject;

typedef struct {
    CoreObject core;
    Py_ssize_t itemsize;
    Py_ssize_t parameter_count;
    void *parameters; /* owned by the network, fixed for its lifetime */
} NetworkObject;

static PyTypeObject *NetworkType, *OptimizerType; /* made once, by PyInit__core */

static const char *name_of(const CoreObject *self) { return Py_TYPE(self) == NetworkType ? "network" : "optimizer"; }

/* The name of `object`'s type as tracebacks print it ("float", "numpy.ndarray"); a new reference. */
static PyObject *type_name(PyObject *object) {
    PyObject *type = (PyObject *)Py_TYPE(object);
    PyObject *module = PyObject_GetAttrString(type, "__module__");
    PyObject *name = PyObject_GetAttrString(type, "__qualname__");
    PyObject *result = NULL;
    if (module && name && PyUnicode_Check(module) && PyUnicode_CompareWithASCIIString(module, "builtins") != 0)
        result = PyUnicode_FromFormat("%U.%U", module, name);
    else if (name)
        result = Py_NewRef(name);
    Py_XDECREF(module);
    Py_XDECREF(name);
    if (!result) {
        PyErr_Clear();
        result = PyUnicode_FromString("?");
    }
    return result;
}

/* Raises `exception` with `format` ("%s ... %U"): the argument's name, then the type name of `object`. */
static void raise_with_type_name(PyObject *exception, const char *format, const char *argument, PyObject *object) {
    PyObject *name = type_name(object);
    if (name) PyErr_Format(exception, format, argument, name);
    Py_XDECREF(name);
}

/* A tuple of the items of `object`: a snapshot that Python code run meanwhile (an item's __index__ or
 * buffer export) cannot change under our borrowed references. */
static PyObject *item_tuple(PyObject *object, const char *message) {
    PyObject *items = PySequence_Fast(object, message);
    if (!items || PyTuple_CheckExact(items)) return items;
    PyObject *tuple = PySequence_Tuple(items);
    Py_DECREF(items);
    return tuple;
}

/* What a call needs of one buffer argument, always C-contiguous; "the dtype" is the object's. */
typedef enum {
    BUFFER_MATRIX,         /* 2-D of the dtype */
    BUFFER_INPUTS,         /* 2-D of the dtype, or sparse rows: a tuple (data, indices, indptr, columns) */
    BUFFER_TARGETS,        /* 1-D int64 class labels, or 2-D of the dtype */
    BUFFER_VECTOR,         /* of the dtype, any shape, taken as its flat values */
    BUFFER_FLOAT64_OUTPUT, /* float64, any shape, taken as its flat values; always writable */
    BUFFER_FLOAT64,        /* float64, any shape, taken as its flat values; read only */
} BufferKind;

/* One buffer argument of a call, declared by its method: begin_call acquires it, end_call releases it. */
typedef struct BufferRequest {
    PyObject *object;
    char name[48];
    BufferKind kind;
    int writable;
    int optional;                             /* None stands for "absent" */
    const struct BufferRequest *same_size_as; /* NULL, or an earlier request of the same call */
    Py_buffer view;                           /* view.obj is NULL until acquired */
    /* Sparse inputs: view holds the data; indices and indptr, and the column count. */
    Py_buffer index_view, offset_view;
    long long columns;
} BufferRequest;

/* Whether an acquired view has the dimensions its kind asks for, with elements of `dtype` (labels: int64).
 * Byte-order prefixes ('@', '=', '<') are skipped: on the little-endian machines supported all mean native. */
static int has_expected_layout(const BufferRequest *request, int dtype) {
    const Py_buffer *view = &request->view;
    const char *format = view->format ? view->format : "B";
    while (*format == '@' || *format == '=' || *format == '<') format++;
    char code = format[0] != '\0' && format[1] == '\0' ? format[0] : '\0';
    int of_dtype = dtype == SGD_FLOAT32 ? code == 'f' && view->itemsize == 4 : code == 'd' && view->itemsize == 8;
    int of_int64 = (code == 'l' || code == 'q') && view->itemsize == 8;
    if (request->kind == BUFFER_MATRIX || request->kind == BUFFER_INPUTS) return view->ndim == 2 && of_dtype;
    if (request->kind == BUFFER_TARGETS) return view->ndim == 1 ? of_int64 : view->ndim == 2 && of_dtype;
    return of_dtype; /* a vector or an output: any shape */
}

/* PyBuffer_Release passes over views never acquired (obj NULL) and marks those it releases so. */
static void release_buffers(BufferRequest *requests, Py_ssize_t count) {
    for (Py_ssize_t i = 0; i < count; i++) {
        PyBuffer_Release(&requests[i].view);
        PyBuffer_Release(&requests[i].index_view);
        PyBuffer_Release(&requests[i].offset_view);
    }
}

/* The element type code of a 1-D view ('f', 'd', 'i' for int32, 'q' for int64), or '\0'. */
static char vector_code(const Py_buffer *view) {
    const char *format = view->format ? view->format : "B";
    while (*format == '@' || *format == '=' || *format == '<') format++;
    if (view->ndim != 1 || format[0] == '\0' || format[1] != '\0') return '\0';
    char code = format[0];
    if ((code == 'i' || code == 'l') && view->itemsize == 4) return 'i';
    if ((code == 'l' || code == 'q') && view->itemsize == 8) return 'q';
    return code;
}

/* Acquires sparse inputs, the tuple (data, indices, indptr, columns): three 1-D C-contiguous buffers (data of
 * `dtype`, indices int32, indptr int64 with at least one value) and an int. Their values are checked by the
 * core, before it reads any entry. On failure, the views acquired stay for release_buffers. */
static int acquire_sparse(BufferRequest *request, int dtype) {
    if (PyTuple_Size(request->object) != 4) {
        PyErr_Format(PyExc_TypeError, "%s: expected sparse rows as (data, indices, indptr, columns)", request->name);
        return -1;
    }
    request->columns = PyLong_AsLongLong(PyTuple_GetItem(request->object, 3));
    if (request->columns == -1 && PyErr_Occurred()) return -1;
    struct { Py_buffer *view; const char *part; char code; } parts[] = {
        {&request->view, "data", dtype == SGD_FLOAT32 ? 'f' : 'd'},
        {&request->index_view, "indices", 'i'},
        {&request->offset_view, "indptr", 'q'},
    };
    for (int i = 0; i < 3; i++) {
        PyObject *part = PyTuple_GetItem(request->object, i);
        if (PyObject_GetBuffer(part, parts[i].view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
        if (vector_code(parts[i].view) != parts[i].code) {
            PyErr_Format(PyExc_TypeError, "%s: expected %s as a 1-D %s buffer (C-contiguous)", request->name,
                         parts[i].part, i == 0 ? (dtype == SGD_FLOAT32 ? "float32" : "float64") : i == 1 ? "int32" : "int64");
            return -1;
        }
    }
    if (request->offset_view.len == 0) {
        PyErr_Format(PyExc_ValueError, "%s: indptr needs at least one value", request->name);
        return -1;
    }
    return 0;
}

/* Acquires the buffers of a call on an object of element type `dtype`: all of them, or none (those
 * acquired are released again) with an exception naming the argument. */
static int acquire_buffers(BufferRequest *requests, Py_ssize_t count, int dtype) {
    static const char *const expected[] = {[BUFFER_MATRIX] = "a 2-D", [BUFFER_INPUTS] = "a 2-D",
                                           [BUFFER_TARGETS] = "1-D int64 labels or a 2-D",
                                           [BUFFER_VECTOR] = "a", [BUFFER_FLOAT64_OUTPUT] = "a writable",
                                           [BUFFER_FLOAT64] = "a"};
    for (Py_ssize_t i = 0; i < count; i++) {
        BufferRequest *request = &requests[i];
        if (request->optional && request->object == Py_None) continue;
        if (request->kind == BUFFER_INPUTS && PyTuple_Check(request->object)) {
            if (acquire_sparse(request, dtype) == 0) continue;
            release_buffers(requests, count);
            return -1;
        }
        const BufferRequest *twin = request->same_size_as;
        int output = request->kind == BUFFER_FLOAT64_OUTPUT;
        int element_dtype = output || request->kind == BUFFER_FLOAT64 ? SGD_FLOAT64 : dtype;
        const char *element = element_dtype == SGD_FLOAT32 ? "float32" : "float64";
        int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (request->writable || output ? PyBUF_WRITABLE : 0);
        if (!PyObject_CheckBuffer(request->object)) {
            raise_with_type_name(PyExc_TypeError, "%s: expected a buffer such as a NumPy array, got %U", request->name,
                                 request->object);
        } else if (PyObject_GetBuffer(request->object, &request->view, flags) < 0) {
            /* raised by the exporter: not C-contiguous, or read-only */
        } else if (!has_expected_layout(request, element_dtype)) {
            PyErr_Format(PyExc_TypeError, "%s: expected %s %s buffer (C-contiguous), got a %d-D buffer of format '%s'",
                         request->name, expected[request->kind], element, request->view.ndim,
                         request->view.format ? request->view.format : "B");
        } else if (twin && twin->view.len != request->view.len) {
            PyErr_Format(PyExc_TypeError, "%s, %s: expected %s buffers of equal size", twin->name, request->name,
                         element);
        } else {
            continue;
        }
        release_buffers(requests, count);
        return -1;
    }
    return 0;
}

static sgd_matrix matrix_of(const BufferRequest *request) {
    if (request->object == Py_None) return (sgd_matrix){NULL, 0, 0};
    if (request->index_view.obj) {
        const Py_buffer *data = &request->view, *indices = &request->index_view, *indptr = &request->offset_view;
        int64_t storage = data->shape[0] < indices->shape[0] ? data->shape[0] : indices->shape[0];
        return (sgd_matrix){.data = data->buf, .rows = indptr->shape[0] - 1, .columns = request->columns,
                            .format = SGD_MATRIX_CSR, .column_indices = indices->buf, .row_starts = indptr->buf,
                            .storage = storage};
    }
    return (sgd_matrix){request->view.buf, request->view.shape[0], request->view.shape[1]};
}

static sgd_targets targets_of(const BufferRequest *request) {
    const Py_buffer *view = &request->view;
    if (request->object == Py_None) return (sgd_targets){NULL, 0, 0, SGD_TARGETS_DENSE};
    if (view->ndim == 1) return (sgd_targets){view->buf, view->shape[0], 1, SGD_TARGETS_LABELS};
    return (sgd_targets){view->buf, view->shape[0], view->shape[1], SGD_TARGETS_DENSE};
}

static int64_t value_count(const BufferRequest *request) { return request->view.len / request->view.itemsize; }

/* An optional vector (None: absent) as the core's pointer and count: NULL and 0 when absent. */
static const void *optional_data(const BufferRequest *request) {
    return request->object == Py_None ? NULL : request->view.buf;
}
static int64_t optional_count(const BufferRequest *request) {
    return request->object == Py_None ? 0 : value_count(request);
}

/* One call into the core, from begin_call to end_call. */
typedef struct {
    CoreObject *objects[2]; /* those it occupies, then NULL */
    int reentrant;          /* allowed inside a fit's progress callback on the same objects */
    BufferRequest *buffers;
    Py_ssize_t buffer_count;
    PyThreadState *thread_state; /* saved while the call runs without the GIL */
    PyObject *progress;          /* fit: callable(kind, epoch, index, loss) or None */
    char message[MESSAGE_CAPACITY];
} CoreCall;

/* Starts `call` on objects of element type `dtype`: acquires its buffers, occupies its objects and releases
 * the GIL. An object serves one call at a time; only the thread that runs a fit may call
 * into the same objects again, from its progress callback (the core is paused there), and only reentrant
 * calls. A refused call releases its buffers, changes nothing and raises RuntimeError. The objects are
 * checked and occupied with no Python code run in between (a buffer export may run some). */
static int begin_call(CoreCall *call, int dtype) {
    if (acquire_buffers(call->buffers, call->buffer_count, dtype) < 0) return -1;
    unsigned long thread = PyThread_get_thread_ident();
    for (int i = 0; i < 2 && call->objects[i]; i++) {
        CoreObject *object = call->objects[i];
        if (object->calls > 0 && !(call->reentrant && object->thread == thread)) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s: already in use by a running call (fit, predict, step, ...); it serves one call at a time",
                         name_of(object));
            release_buffers(call->buffers, call->buffer_count);
            return -1;
        }
    }
    for (int i = 0; i < 2 && call->objects[i]; i++) {
        call->objects[i]->calls++;
        call->objects[i]->thread = thread;
    }
    call->thread_state = PyEval_SaveThread();
    return 0;
}

/* Ends `call` after the core returned `status`: takes the GIL back, frees the objects, releases the
 * buffers. Returns -1 with an exception set for an error status (ValueError or MemoryError with the
 * core's message) or an exception raised during the call (a progress callback's, or Ctrl-C). */
static int end_call(CoreCall *call, sgd_status status) {
    PyEval_RestoreThread(call->thread_state);
    for (int i = 0; i < 2 && call->objects[i]; i++)
        call->objects[i]->calls--;
    release_buffers(call->buffers, call->buffer_count);
    if (status == SGD_OK || status == SGD_INTERRUPTED || status == SGD_DIVERGED) return PyErr_Occurred() ? -1 : 0;
    /* %s decodes the message as UTF-8 with errors replaced */
    PyErr_Format(status == SGD_OUT_OF_MEMORY ? PyExc_MemoryError : PyExc_ValueError, "%s", call->message);
    return -1;
}

/* The UTF-8 texts of a tuple of str, valid while the tuple lives; NULL with an exception set. */
static const char **name_array(PyObject *names, const char *argument) {
    Py_ssize_t count = PyTuple_Size(names);
    const char **texts = PyMem_New(const char *, count + 1);
    if (!texts) return (const char **)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyTuple_GetItem(names, i);
        texts[i] = PyUnicode_Check(item) ? PyUnicode_AsUTF8AndSize(item, NULL) : NULL;
        if (!texts[i]) {
            if (!PyErr_Occurred())
                raise_with_type_name(PyExc_TypeError, "%s: expected names (str), got %U", argument, item);
            PyMem_Free(texts);
            return NULL;
        }
    }
    return texts;
}

/* The Swift network is made before the Python object, so that no object exists without one. `hidden` is
 * a name for every hidden layer or a sequence of names, one per hidden layer. */
static PyObject *Network_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"dtype", "sizes", "hidden", "output", "loss", "init", "seed", NULL};
    int dtype;
    PyObject *sizes_object, *hidden_object;
    const char *output, *loss, *initializer;
    unsigned long long seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iOOsssK:Network", keywords, &dtype, &sizes_object,
                                     &hidden_object, &output, &loss, &initializer, &seed))
        return NULL;
    PyObject *hidden = PyUnicode_Check(hidden_object)
        ? PyTuple_Pack(1, hidden_object) : item_tuple(hidden_object, "hidden: expected a name or a sequence of names");
    if (!hidden) return NULL;
    const char **hidden_names = name_array(hidden, "hidden");
    if (!hidden_names) {
        Py_DECREF(hidden);
        return NULL;
    }
    PyObject *sizes = item_tuple(sizes_object, "sizes: expected a sequence of ints");
    if (!sizes) {
        PyMem_Free(hidden_names);
        Py_DECREF(hidden);
        return NULL;
    }
    Py_ssize_t count = PyTuple_Size(sizes);
    int64_t *values = PyMem_New(int64_t, count + 1);
    if (!values) PyErr_NoMemory();
    for (Py_ssize_t i = 0; values && i < count && !PyErr_Occurred(); i++)
        values[i] = PyLong_AsLongLong(PyTuple_GetItem(sizes, i));
    Py_DECREF(sizes);
    void *network = NULL;
    CoreCall call = {0}; /* occupies nothing: only releases the GIL */
    int failed = PyErr_Occurred() != NULL;
    if (!failed) {
        begin_call(&call, dtype);
        sgd_status status = sgd_network_create(dtype, values, count, hidden_names, PyTuple_Size(hidden), output, loss,
                                               initializer, seed, &network, call.message, MESSAGE_CAPACITY);
        failed = end_call(&call, status) < 0;
    }
    PyMem_Free(values); /* only with the GIL held */
    PyMem_Free(hidden_names);
    Py_DECREF(hidden);
    NetworkObject *self = failed ? NULL : (NetworkObject *)PyType_GenericAlloc(type, 0); /* zeroed */
    if (!self) {
        if (network) sgd_network_destroy(network);
        return NULL;
    }
    int64_t parameter_count = 0;
    sgd_network_parameters(network, &self->parameters, &parameter_count);
    self->core.handle = network;
    self->core.dtype = dtype;
    self->itemsize = dtype == SGD_FLOAT32 ? 4 : 8;
    self->parameter_count = (Py_ssize_t)parameter_count;
    return (PyObject *)self;
}

/* Instances of a heap type hold a reference to it. */
static void free_core_object(CoreObject *self) {
    PyTypeObject *type = Py_TYPE(self);
    PyObject_Free(self);
    Py_DECREF(type);
}

static void Network_dealloc(NetworkObject *self) {
    sgd_network_destroy(self->core.handle);
    free_core_object(&self->core);
}

/* The flat parameter vector θ = [W1, b1, W2, b2, ...], writable, shared with the core. */
static int Network_getbuffer(NetworkObject *self, Py_buffer *view, int flags) {
    *view = (Py_buffer){.obj = Py_NewRef((PyObject *)self), .buf = self->parameters, .itemsize = self->itemsize,
                        .len = self->parameter_count * self->itemsize, .readonly = 0, .ndim = 1,
                        .format = (flags & PyBUF_FORMAT) ? (self->core.dtype == SGD_FLOAT32 ? "f" : "d") : NULL,
                        .shape = (flags & PyBUF_ND) ? &self->parameter_count : NULL,
                        .strides = (flags & PyBUF_STRIDES) ? &self->itemsize : NULL};
    return 0;
}

static PyObject *Network_predict(NetworkObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"X", "out", NULL};
    BufferRequest buffers[] = {{.name = "X", .kind = BUFFER_INPUTS},
                               {.name = "out", .kind = BUFFER_MATRIX, .writable = 1}};
    CoreCall call = {.objects = {&self->core}, .reentrant = 1, .buffers = buffers, .buffer_count = 2};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:predict", keywords, &buffers[0].object, &buffers[1].object) ||
        begin_call(&call, self->core.dtype) < 0)
        return NULL;
    sgd_status status = sgd_network_predict(self->core.handle, matrix_of(&buffers[0]), buffers[1].view.buf,
                                            value_count(&buffers[1]), call.message, MESSAGE_CAPACITY);
    return end_call(&call, status) < 0 ? NULL : Py_NewRef(Py_None);
}

static PyObject *Network_evaluate(NetworkObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"X", "Y", "sample_weight", NULL};
    BufferRequest buffers[] = {{.name = "X", .kind = BUFFER_INPUTS}, {.name = "Y", .kind = BUFFER_TARGETS},
                               {.object = Py_None, .name = "sample_weight", .kind = BUFFER_VECTOR, .optional = 1}};
    CoreCall call = {.objects = {&self->core}, .reentrant = 1, .buffers = buffers, .buffer_count = 3};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O:evaluate", keywords, &buffers[0].object, &buffers[1].object,
                                     &buffers[2].object) || begin_call(&call, self->core.dtype) < 0)
        return NULL;
    double loss = 0, correct = -1;
    sgd_status status = sgd_network_evaluate(self->core.handle, matrix_of(&buffers[0]), targets_of(&buffers[1]),
                                             optional_data(&buffers[2]), optional_count(&buffers[2]), &loss, &correct,
                                             call.message, MESSAGE_CAPACITY);
    if (end_call(&call, status) < 0) return NULL;
    return correct < 0 ? Py_BuildValue("(dO)", loss, Py_None) : Py_BuildValue("(dd)", loss, correct);
}

static PyObject *Network_gradient(NetworkObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"X", "Y", "out", "sample_weight", NULL};
    BufferRequest buffers[] = {{.name = "X", .kind = BUFFER_INPUTS}, {.name = "Y", .kind = BUFFER_TARGETS},
                               {.name = "out", .kind = BUFFER_VECTOR, .writable = 1},
                               {.object = Py_None, .name = "sample_weight", .kind = BUFFER_VECTOR, .optional = 1}};
    CoreCall call = {.objects = {&self->core}, .reentrant = 1, .buffers = buffers, .buffer_count = 4};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|O:gradient", keywords, &buffers[0].object, &buffers[1].object,
                                     &buffers[2].object, &buffers[3].object) || begin_call(&call, self->core.dtype) < 0)
        return NULL;
    double loss = 0;
    sgd_status status = sgd_network_gradient(self->core.handle, matrix_of(&buffers[0]), targets_of(&buffers[1]),
                                             optional_data(&buffers[3]), optional_count(&buffers[3]),
                                             buffers[2].view.buf, value_count(&buffers[2]), &loss, call.message,
                                             MESSAGE_CAPACITY);
    return end_call(&call, status) < 0 ? NULL : PyFloat_FromDouble(loss);
}

/* The core's progress callback of a fit, called with the GIL released: takes it, checks for Ctrl-C,
 * passes the event to the fit's callback, gives the GIL back. That returns False to stop, anything else
 * to go on; non-zero stops training, and a pending exception (the callback's, or KeyboardInterrupt) says why. */
static int32_t fit_progress(void *context, const sgd_event *event) {
    CoreCall *call = context;
    PyEval_RestoreThread(call->thread_state);
    int32_t stop = PyErr_CheckSignals() < 0;
    if (!stop && call->progress != Py_None) {
        long long index = event->kind == SGD_EVENT_TICK ? event->rows : event->batch;
        PyObject *result = PyObject_CallFunction(call->progress, "iLLd", (int)event->kind, (long long)event->epoch,
                                                 index, event->loss);
        stop = result == NULL || result == Py_False;
        Py_XDECREF(result);
    }
    call->thread_state = PyEval_SaveThread();
    return stop;
}

static PyObject *Network_fit(NetworkObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"optimizer", "X", "Y", "validation_X", "validation_Y", "epochs", "batch_size",
                               "shuffle", "seed", "stream", "l2", "clip_norm", "normalize_gradient",
                               "report_batches", "history", "gradient_norms", "callback", "sample_weight",
                               "validation_sample_weight", "reported_loss_clip", "l1", "dropout", NULL};
    enum { X, Y, VALIDATION_X, VALIDATION_Y, HISTORY, GRADIENT_NORMS, WEIGHTS, VALIDATION_WEIGHTS, DROPOUT,
           BUFFER_COUNT };
    BufferRequest buffers[BUFFER_COUNT] = {
        [X] = {.name = "X", .kind = BUFFER_INPUTS},
        [Y] = {.name = "Y", .kind = BUFFER_TARGETS},
        [VALIDATION_X] = {.name = "validation_X", .kind = BUFFER_INPUTS, .optional = 1},
        [VALIDATION_Y] = {.name = "validation_Y", .kind = BUFFER_TARGETS, .optional = 1},
        [HISTORY] = {.name = "history", .kind = BUFFER_FLOAT64_OUTPUT},
        [GRADIENT_NORMS] = {.name = "gradient_norms", .kind = BUFFER_FLOAT64_OUTPUT},
        [WEIGHTS] = {.object = Py_None, .name = "sample_weight", .kind = BUFFER_VECTOR, .optional = 1},
        [VALIDATION_WEIGHTS] = {.object = Py_None, .name = "validation_sample_weight", .kind = BUFFER_VECTOR,
                                .optional = 1},
        [DROPOUT] = {.object = Py_None, .name = "dropout", .kind = BUFFER_FLOAT64, .optional = 1},
    };
    CoreObject *optimizer;
    PyObject *callback;
    long long epochs, batch_size;
    int shuffle, normalize_gradient, report_batches;
    unsigned long long seed, stream;
    double l2, clip_norm, reported_loss_clip = 0.0, l1 = 0.0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!OOOOLLpKKddppOOO|OO$ddO:fit", keywords, OptimizerType, &optimizer,
                                     &buffers[X].object, &buffers[Y].object, &buffers[VALIDATION_X].object,
                                     &buffers[VALIDATION_Y].object, &epochs, &batch_size, &shuffle, &seed, &stream,
                                     &l2, &clip_norm, &normalize_gradient, &report_batches, &buffers[HISTORY].object,
                                     &buffers[GRADIENT_NORMS].object, &callback, &buffers[WEIGHTS].object,
                                     &buffers[VALIDATION_WEIGHTS].object, &reported_loss_clip, &l1,
                                     &buffers[DROPOUT].object))
        return NULL;
    if ((buffers[VALIDATION_X].object == Py_None) != (buffers[VALIDATION_Y].object == Py_None)) {
        PyErr_SetString(PyExc_TypeError, "validation_X, validation_Y: expected both or neither to be None");
        return NULL;
    }
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "callback: expected a callable or None");
        return NULL;
    }
    sgd_fit_options options = {.epochs = epochs, .batch_size = batch_size, .shuffle = shuffle, .seed = seed,
                               .stream = stream, .l2 = l2, .clip_norm = clip_norm,
                               .normalize_gradient = normalize_gradient, .report_batches = report_batches,
                               .reported_loss_clip = reported_loss_clip, .l1 = l1};
    CoreCall call = {.objects = {&self->core, optimizer}, .buffers = buffers, .buffer_count = BUFFER_COUNT,
                     .progress = callback};
    int64_t epochs_done = 0;
    if (begin_call(&call, self->core.dtype) < 0) return NULL;
    options.dropout = optional_data(&buffers[DROPOUT]);
    options.dropout_count = optional_count(&buffers[DROPOUT]);
    sgd_status status = sgd_network_fit(
        self->core.handle, optimizer->handle, matrix_of(&buffers[X]), targets_of(&buffers[Y]),
        optional_data(&buffers[WEIGHTS]), optional_count(&buffers[WEIGHTS]), matrix_of(&buffers[VALIDATION_X]),
        targets_of(&buffers[VALIDATION_Y]), optional_data(&buffers[VALIDATION_WEIGHTS]),
        optional_count(&buffers[VALIDATION_WEIGHTS]), options,
        (sgd_epoch_record *)buffers[HISTORY].view.buf, value_count(&buffers[HISTORY]) / RECORD_FIELD_COUNT,
        (double *)buffers[GRADIENT_NORMS].view.buf, value_count(&buffers[GRADIENT_NORMS]), fit_progress, &call,
        &epochs_done, call.message, MESSAGE_CAPACITY);
    if (end_call(&call, status) < 0) return NULL;
    return Py_BuildValue("(Ls)", (long long)epochs_done, status == SGD_DIVERGED ? call.message : NULL);
}

static PyObject *Network_get_parameter_count(NetworkObject *self, void *closure) {
    return PyLong_FromSsize_t(self->parameter_count);
}

static PyType_Spec network_spec = {
    .name = "sgdswift._core.Network",
    .basicsize = sizeof(NetworkObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = (PyType_Slot[]){
    {Py_tp_doc, "Network(dtype, sizes, hidden, output, loss, init, seed)\n--\n\n"
                "A Swift-core network handle; use sgdswift.Network."},
    {Py_tp_new, Network_new},
    {Py_tp_dealloc, Network_dealloc},
    {Py_bf_getbuffer, Network_getbuffer},
    {Py_tp_methods, (PyMethodDef[]){
        {"predict", (PyCFunction)(void (*)(void))Network_predict, METH_VARARGS | METH_KEYWORDS,
         "predict($self, /, X, out)\n--\n\nOutput activations of X into out."},
        {"evaluate", (PyCFunction)(void (*)(void))Network_evaluate, METH_VARARGS | METH_KEYWORDS,
         "evaluate($self, /, X, Y, sample_weight=None)\n--\n\n"
         "(mean loss, correctly classified rows (their weight) or None)."},
        {"gradient", (PyCFunction)(void (*)(void))Network_gradient, METH_VARARGS | METH_KEYWORDS,
         "gradient($self, /, X, Y, out, sample_weight=None)\n--\n\n"
         "The mean loss; its gradient, laid out as the parameters, into out."},
        {"fit", (PyCFunction)(void (*)(void))Network_fit, METH_VARARGS | METH_KEYWORDS,
         "fit($self, /, optimizer, X, Y, validation_X, validation_Y, epochs, batch_size, shuffle, seed, stream, l2,"
         " clip_norm, normalize_gradient, report_batches, history, gradient_norms, callback, sample_weight=None,"
         " validation_sample_weight=None, *, reported_loss_clip=0.0, l1=0.0, dropout=None)\n--\n\n"
         "Mini-batch training; callback(kind, epoch, index, loss) returns False to stop."
         " Returns (finished epochs, divergence message or None)."},
        {NULL, NULL, 0, NULL},
    }},
    {Py_tp_getset, (PyGetSetDef[]){
        {"parameter_count", (getter)Network_get_parameter_count, NULL, "Number of parameters.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
    }},
    {0, NULL},
    },
};

static PyObject *Optimizer_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"dtype", "rule", "lr", "weight_decay", "momentum", "dampening", "nesterov", "alpha",
                               "eps", "beta1", "beta2", "amsgrad", "decoupled_weight_decay",
                               "epsilon_before_bias_correction", NULL};
    int dtype;
    sgd_optimizer_settings settings = {0}; /* its int32_t fields are ints, as 'i' and 'p' write */
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iiddddpddddpp|$p:Optimizer", keywords, &dtype, &settings.rule,
                                     &settings.learning_rate, &settings.weight_decay, &settings.momentum,
                                     &settings.dampening, &settings.nesterov, &settings.alpha, &settings.epsilon,
                                     &settings.beta1, &settings.beta2, &settings.amsgrad,
                                     &settings.decoupled_weight_decay, &settings.epsilon_before_bias_correction))
        return NULL;
    void *optimizer = NULL;
    CoreCall call = {0}; /* occupies nothing: only releases the GIL */
    begin_call(&call, dtype);
    sgd_status status = sgd_optimizer_create(dtype, settings, &optimizer, call.message, MESSAGE_CAPACITY);
    CoreObject *self = end_call(&call, status) < 0 ? NULL : (CoreObject *)PyType_GenericAlloc(type, 0); /* zeroed */
    if (!self) {
        if (optimizer) sgd_optimizer_destroy(optimizer);
        return NULL;
    }
    self->handle = optimizer;
    self->dtype = dtype;
    return (PyObject *)self;
}

static void Optimizer_dealloc(CoreObject *self) {
    sgd_optimizer_destroy(self->handle);
    free_core_object(self);
}

/* step(parameters, gradients): sequences of buffers of the optimizer's dtype, pairwise of equal size; the
 * parameters are updated in place. */
static PyObject *Optimizer_step(CoreObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"parameters", "gradients", NULL};
    PyObject *parameters_object, *gradients_object, *parameters = NULL, *gradients = NULL, *result = NULL;
    BufferRequest *buffers = NULL; /* the parameters, then the gradients */
    void **data = NULL;            /* their memory, in the same order */
    int64_t *counts = NULL;        /* the parameters' value counts */
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:step", keywords, &parameters_object, &gradients_object) ||
        !(parameters = item_tuple(parameters_object, "parameters: expected a sequence of arrays")) ||
        !(gradients = item_tuple(gradients_object, "gradients: expected a sequence of arrays")))
        goto done;
    Py_ssize_t arrays = PyTuple_Size(parameters);
    if (PyTuple_Size(gradients) != arrays) {
        PyErr_Format(PyExc_ValueError, "gradients: expected %zd arrays (one per parameter), got %zd", arrays,
                     PyTuple_Size(gradients));
        goto done;
    }
    buffers = PyMem_Calloc(2 * arrays + 1, sizeof *buffers);
    data = PyMem_Calloc(2 * arrays + 1, sizeof *data);
    counts = PyMem_Calloc(arrays + 1, sizeof *counts);
    if (!buffers || !data || !counts) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < 2 * arrays; i++) {
        int gradient = i >= arrays;
        buffers[i] = (BufferRequest){.object = PyTuple_GetItem(gradient ? gradients : parameters, i % arrays),
                                     .kind = BUFFER_VECTOR, .writable = !gradient,
                                     .same_size_as = gradient ? &buffers[i - arrays] : NULL};
        PyOS_snprintf(buffers[i].name, sizeof buffers[i].name, "%s[%zd]", gradient ? "gradients" : "parameters",
                      i % arrays);
    }
    CoreCall call = {.objects = {self}, .buffers = buffers, .buffer_count = 2 * arrays};
    if (begin_call(&call, self->dtype) < 0) goto done;
    for (Py_ssize_t i = 0; i < 2 * arrays; i++)
        data[i] = buffers[i].view.buf;
    for (Py_ssize_t i = 0; i < arrays; i++)
        counts[i] = value_count(&buffers[i]);
    sgd_status status = sgd_optimizer_step(self->handle, data, (const void *const *)(data + arrays), counts,
                                           arrays, call.message, MESSAGE_CAPACITY);
    if (end_call(&call, status) == 0) result = Py_NewRef(Py_None);
done:
    PyMem_Free(buffers);
    PyMem_Free(data);
    PyMem_Free(counts);
    Py_XDECREF(parameters);
    Py_XDECREF(gradients);
    return result;
}

static PyObject *Optimizer_reset(CoreObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"count", NULL};
    long long count;
    CoreCall call = {.objects = {self}};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "L:reset", keywords, &count) || begin_call(&call, self->dtype) < 0)
        return NULL;
    sgd_status status = sgd_optimizer_reset(self->handle, count, call.message, MESSAGE_CAPACITY);
    return end_call(&call, status) < 0 ? NULL : Py_NewRef(Py_None);
}

static PyObject *Optimizer_info(CoreObject *self, PyObject *unused) {
    int64_t count = 0, steps = 0, state_count = 0;
    sgd_optimizer_info(self->handle, &count, &steps, &state_count);
    return Py_BuildValue("(LLL)", (long long)count, (long long)steps, (long long)state_count);
}

static PyObject *Optimizer_get_state(CoreObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"out", NULL};
    BufferRequest buffers[] = {{.name = "out", .kind = BUFFER_VECTOR, .writable = 1}};
    CoreCall call = {.objects = {self}, .reentrant = 1, .buffers = buffers, .buffer_count = 1};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:get_state", keywords, &buffers[0].object) ||
        begin_call(&call, self->dtype) < 0)
        return NULL;
    sgd_status status = sgd_optimizer_get_state(self->handle, buffers[0].view.buf, value_count(&buffers[0]),
                                                call.message, MESSAGE_CAPACITY);
    return end_call(&call, status) < 0 ? NULL : Py_NewRef(Py_None);
}

static PyObject *Optimizer_restore(CoreObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"count", "steps", "values", NULL};
    long long count, steps;
    BufferRequest buffers[] = {{.name = "values", .kind = BUFFER_VECTOR}};
    CoreCall call = {.objects = {self}, .buffers = buffers, .buffer_count = 1};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "LLO:restore", keywords, &count, &steps, &buffers[0].object) ||
        begin_call(&call, self->dtype) < 0)
        return NULL;
    sgd_status status = sgd_optimizer_restore(self->handle, count, steps, buffers[0].view.buf,
                                              value_count(&buffers[0]), call.message, MESSAGE_CAPACITY);
    return end_call(&call, status) < 0 ? NULL : Py_NewRef(Py_None);
}

static PyObject *Optimizer_get_lr(CoreObject *self, void *closure) {
    return PyFloat_FromDouble(sgd_optimizer_learning_rate(self->handle));
}

/* Also allowed during a fit with this optimizer, from the fit's own thread (its progress callback):
 * the core is paused there and uses the rate from the next mini-batch on. */
static int Optimizer_set_lr(CoreObject *self, PyObject *value, void *closure) {
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "lr: cannot be deleted");
        return -1;
    }
    double lr = PyFloat_AsDouble(value);
    if (lr == -1.0 && PyErr_ExceptionMatches(PyExc_TypeError)) {
        raise_with_type_name(PyExc_TypeError, "%s: expected a float, got %U", "lr", value);
        return -1;
    }
    CoreCall call = {.objects = {self}, .reentrant = 1};
    if (PyErr_Occurred() || begin_call(&call, self->dtype) < 0) return -1;
    sgd_status status = sgd_optimizer_set_learning_rate(self->handle, lr, call.message, MESSAGE_CAPACITY);
    return end_call(&call, status);
}

static PyType_Spec optimizer_spec = {
    .name = "sgdswift._core.Optimizer",
    .basicsize = sizeof(CoreObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = (PyType_Slot[]){
    {Py_tp_doc, "Optimizer(dtype, rule, lr, weight_decay, momentum, dampening, nesterov, alpha, eps, beta1, beta2,"
                " amsgrad, decoupled_weight_decay, *, epsilon_before_bias_correction=False)\n--\n\n"
                "A Swift-core optimizer handle; use sgdswift.SGD, sgdswift.Adam, ..."},
    {Py_tp_new, Optimizer_new},
    {Py_tp_dealloc, Optimizer_dealloc},
    {Py_tp_methods, (PyMethodDef[]){
        {"step", (PyCFunction)(void (*)(void))Optimizer_step, METH_VARARGS | METH_KEYWORDS,
         "step($self, /, parameters, gradients)\n--\n\nOne update of the parameters, in place."},
        {"reset", (PyCFunction)(void (*)(void))Optimizer_reset, METH_VARARGS | METH_KEYWORDS,
         "reset($self, /, count)\n--\n\nFresh state for count parameters."},
        {"info", (PyCFunction)Optimizer_info, METH_NOARGS,
         "info($self, /)\n--\n\n(parameter count, steps, state values)."},
        {"get_state", (PyCFunction)(void (*)(void))Optimizer_get_state, METH_VARARGS | METH_KEYWORDS,
         "get_state($self, /, out)\n--\n\nCopies the state into out."},
        {"restore", (PyCFunction)(void (*)(void))Optimizer_restore, METH_VARARGS | METH_KEYWORDS,
         "restore($self, /, count, steps, values)\n--\n\nSaved state back."},
        {NULL, NULL, 0, NULL},
    }},
    {Py_tp_getset, (PyGetSetDef[]){
        {"lr", (getter)Optimizer_get_lr, (setter)Optimizer_set_lr,
         "The learning rate of the next steps; may be set during a fit from its callback.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
    }},
    {0, NULL},
    },
};

static PyObject *runtime_self_test(PyObject *self, PyObject *args) { return PyBool_FromLong(sgd_runtime_self_test()); }
static PyObject *max_threads(PyObject *self, PyObject *args) { return PyLong_FromLongLong(sgd_max_threads()); }

static PyObject *get_thread_count(PyObject *self, PyObject *args) {
    return PyLong_FromLongLong(sgd_get_thread_count());
}

/* The count is checked in Python (sgdswift.set_num_threads); here only that it is an int. */
static PyObject *set_thread_count(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"count", NULL};
    long long count;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "L:set_thread_count", keywords, &count)) return NULL;
    sgd_set_thread_count(count);
    Py_RETURN_NONE;
}

/* What the core chose at start-up (sgdswift.h's configuration texts), as a dict of str. */
static PyObject *configuration(PyObject *self, PyObject *unused) {
    static const struct { const char *key; void (*read)(char *, int64_t); } entries[] = {
        {"instruction_set", sgd_instruction_set}, {"detected_instruction_set", sgd_detected_instruction_set},
        {"matrix_engine", sgd_matrix_engine}, {"matrix_kernels", sgd_matrix_kernels},
        {"small_product_kernels", sgd_small_product_kernels},
    };
    PyObject *result = PyDict_New();
    for (size_t i = 0; result && i < sizeof entries / sizeof entries[0]; i++) {
        char text[256];
        entries[i].read(text, sizeof text);
        PyObject *value = PyUnicode_FromString(text);
        if (!value || PyDict_SetItemString(result, entries[i].key, value) < 0) Py_CLEAR(result);
        Py_XDECREF(value);
    }
    return result;
}

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "sgdswift._core", "The Swift training core of sgdswift.", -1,
    (PyMethodDef[]){
        {"runtime_self_test", runtime_self_test, METH_NOARGS,
         "runtime_self_test()\n--\n\nTrue when the statically linked Swift runtime finds protocol conformances."},
        {"get_thread_count", get_thread_count, METH_NOARGS,
         "get_thread_count()\n--\n\nThreads sharing the core's work."},
        {"set_thread_count", (PyCFunction)(void (*)(void))set_thread_count, METH_VARARGS | METH_KEYWORDS,
         "set_thread_count(count)\n--\n\nThreads sharing the core's work (clamped to 1...max_threads())."},
        {"max_threads", max_threads, METH_NOARGS, "max_threads()\n--\n\nThe largest thread count accepted."},
        {"configuration", configuration, METH_NOARGS,
         "configuration()\n--\n\nThe instruction sets (in use, detected) and the matrix engines (build, kernels, small products)."},
        {NULL, NULL, 0, NULL},
    },
};

PyMODINIT_FUNC PyInit__core(void) {
    static const struct { const char *name; int value; } constants[] = {
        {"RULE_SGD", SGD_RULE_SGD}, {"RULE_ADAGRAD", SGD_RULE_ADAGRAD}, {"RULE_RMSPROP", SGD_RULE_RMSPROP},
        {"RULE_ADAM", SGD_RULE_ADAM}, {"EVENT_TICK", SGD_EVENT_TICK}, {"EVENT_BATCH_END", SGD_EVENT_BATCH_END},
        {"EVENT_EPOCH_END", SGD_EVENT_EPOCH_END}, {"FLOAT32", SGD_FLOAT32}, {"FLOAT64", SGD_FLOAT64},
    };
    if (!NetworkType) NetworkType = (PyTypeObject *)PyType_FromSpec(&network_spec);
    if (!OptimizerType) OptimizerType = (PyTypeObject *)PyType_FromSpec(&optimizer_spec);
    if (!NetworkType || !OptimizerType) return NULL;
    PyObject *module = PyModule_Create(&module_definition);
    PyObject *fields = module ? PyTuple_New(RECORD_FIELD_COUNT) : NULL;
    int failed = !fields || PyModule_AddObjectRef(module, "Network", (PyObject *)NetworkType) < 0 ||
                 PyModule_AddObjectRef(module, "Optimizer", (PyObject *)OptimizerType) < 0;
    for (Py_ssize_t i = 0; !failed && i < RECORD_FIELD_COUNT; i++) {
        PyObject *field = PyUnicode_FromString(record_fields[i]);
        failed = !field || PyTuple_SetItem(fields, i, field) < 0; /* takes the reference */
    }
    failed = failed || PyModule_AddObjectRef(module, "RECORD_FIELDS", fields) < 0;
    for (size_t i = 0; !failed && i < sizeof constants / sizeof constants[0]; i++)
        failed = PyModule_AddIntConstant(module, constants[i].name, constants[i].value) < 0;
    Py_XDECREF(fields);
    if (failed) Py_CLEAR(module);
    return module;
}
