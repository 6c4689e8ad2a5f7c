/* The C ABI of the sgdswift training core.
 *
 * Implemented in Swift by @_cdecl functions (Sources/SGDExports); SGDExports/ABICheck.swift makes the
 * build fail if a declaration here and its Swift definition disagree. Every function that can fail
 * returns an sgd_status and writes a NUL-terminated message into `message` (capacity bytes). Matrices
 * are row-major and hold scalars of the network's dtype; nothing is copied: the core reads and
 * writes the caller's memory for the duration of the call only. Row weights (`weights`, `weight_count`)
 * are optional: NULL means every row weighs 1 (exactly the unweighted results); else one finite
 * scalar >= 0 of the network's dtype per row, and the cost is the weighted mean sum(w l) / sum(w).
 */
#ifndef SGDSWIFT_H
#define SGDSWIFT_H

#include <stdint.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if !__has_feature(nullability)
#define _Nonnull
#define _Nullable
#endif

typedef int32_t sgd_status;
#define SGD_OK 0
#define SGD_INVALID_ARGUMENT 1 /* bad value or shape: ValueError */
#define SGD_OUT_OF_MEMORY 2    /* MemoryError */
#define SGD_INTERRUPTED 3      /* the progress callback asked to stop; the model is consistent */
#define SGD_DIVERGED 4         /* the loss became NaN/infinite; the weights before that step are restored */

#define SGD_FLOAT32 0
#define SGD_FLOAT64 1

#define SGD_TARGETS_DENSE 0  /* rows x columns of the network's dtype */
#define SGD_TARGETS_LABELS 1 /* rows int64 class labels (columns ignored) */

#define SGD_MATRIX_DENSE 0 /* data: rows x columns, row-major */
#define SGD_MATRIX_CSR 1   /* compressed sparse rows (SciPy's CSR); only for inputs X */

/* A matrix view: dense and row-major, or (inputs only) compressed sparse rows: the entries of row r are
 * data[k] in column column_indices[k] for k in row_starts[r] ..< row_starts[r + 1], columns in any
 * order, repeated columns adding up. storage is the length of data and column_indices; row_starts
 * (rows + 1 values) must be non-decreasing from >= 0 to <= storage and every column index of the rows
 * in 0 ..< columns, else the call fails with SGD_INVALID_ARGUMENT. The trailing fields are zero for
 * a dense view, so {data, rows, columns} still makes one. */
typedef struct {
    const void *_Nullable data;
    int64_t rows;
    int64_t columns;
    int32_t format; /* SGD_MATRIX_DENSE or SGD_MATRIX_CSR */
    const int32_t *_Nullable column_indices;
    const int64_t *_Nullable row_starts;
    int64_t storage;
} sgd_matrix;

/* Targets: dense values or class labels (one-hot for the core). data == NULL means "none". */
typedef struct {
    const void *_Nullable data;
    int64_t rows;
    int64_t columns;
    int32_t kind;
} sgd_targets;

typedef struct {
    int64_t epochs;
    int64_t batch_size;
    int32_t shuffle;
    uint64_t seed;   /* shuffling: seed and stream of the core's random generator */
    uint64_t stream;
    double l2;                  /* Nielsen's λ: each weight's gradient gains (λ/n)·w */
    double clip_norm;           /* rescale the gradient to this global norm when longer; 0: never */
    int32_t normalize_gradient; /* divide the gradient by its global norm */
    int32_t report_batches;     /* an SGD_EVENT_BATCH_END after every mini-batch */
    double reported_loss_clip;  /* > 0: the reported loss's cross-entropies from probabilities clipped to [c, 1-c] */
    double l1;                  /* L1 in Nielsen's form: each weight's gradient gains (λ₁/n)·sign(w) */
    const double *_Nullable dropout; /* inverted dropout: one rate in [0, 1) per hidden layer; NULL: none */
    int64_t dropout_count;
} sgd_fit_options;

/* One row of training history per finished epoch; NaN where a value does not apply. */
typedef struct {
    double loss;
    double accuracy;
    double validation_loss;
    double validation_accuracy;
    double learning_rate;
    double seconds;
} sgd_epoch_record;

#define SGD_EVENT_TICK 0      /* every few milliseconds; rows = rows of the epoch done */
#define SGD_EVENT_BATCH_END 1 /* after a mini-batch (report_batches); loss = its mean loss */
#define SGD_EVENT_EPOCH_END 2 /* after an epoch; its record is in the history */

/* What fit reports. */
typedef struct {
    int32_t kind;
    int64_t epoch;
    int64_t batch;
    int64_t rows;
    double loss;
} sgd_event;

/* Called from inside fit with every event, the training paused at a consistent point: it may set the
 * optimizer's learning rate (sgd_optimizer_set_learning_rate), which applies from the next mini-batch
 * on. Returns 0 to go on; non-zero stops training at the current mini-batch boundary and fit then
 * returns SGD_INTERRUPTED. */
typedef int32_t (*sgd_progress_callback)(void *_Nullable context, const sgd_event *_Nonnull event);

#define SGD_RULE_SGD 0
#define SGD_RULE_ADAGRAD 1
#define SGD_RULE_RMSPROP 2
#define SGD_RULE_ADAM 3

/* An update rule and its hyper-parameters (those a rule does not use are ignored). */
typedef struct {
    int32_t rule;
    double learning_rate;
    double weight_decay;
    double momentum;   /* SGD, RMSProp */
    double dampening;  /* SGD */
    int32_t nesterov;  /* SGD */
    double alpha;      /* RMSProp */
    double epsilon;    /* AdaGrad, RMSProp, Adam */
    double beta1;      /* Adam */
    double beta2;      /* Adam */
    int32_t amsgrad;   /* Adam */
    int32_t decoupled_weight_decay; /* Adam: AdamW */
    int32_t epsilon_before_bias_correction; /* Adam: eps added to sqrt(v) before its bias correction (scikit-learn) */
} sgd_optimizer_settings;

/* Self-test of the statically linked Swift runtime (protocol conformance lookup works): 1 if OK. */
int32_t sgd_runtime_self_test(void);

/* Threads that share the core's work (the caller's included), process-wide: the count set, clamped to
 * 1...sgd_max_threads(). Results do not depend on it. */
int64_t sgd_get_thread_count(void);
void sgd_set_thread_count(int64_t count);
int64_t sgd_max_threads(void);

/* What the core chose when it was loaded, as text written into out (at most capacity bytes with the
 * NUL): the instruction set of its elementwise kernels and the widest this CPU has ("baseline",
 * "avx2" or "avx512"; see CInstructionSet), and the matrix engine's build and the CPU family whose
 * kernels it runs (OpenBLAS). */
void sgd_instruction_set(char *_Nonnull out, int64_t capacity);
void sgd_detected_instruction_set(char *_Nonnull out, int64_t capacity);
void sgd_matrix_engine(char *_Nonnull out, int64_t capacity);
void sgd_matrix_kernels(char *_Nonnull out, int64_t capacity);
/* The engine of the small products (libxsmm), its version and the CPU it generates kernels for. */
void sgd_small_product_kernels(char *_Nonnull out, int64_t capacity);

/* hidden: hidden_count activation names, one for every hidden layer (1) or one per hidden layer. */
sgd_status sgd_network_create(int32_t dtype, const int64_t *_Nonnull sizes, int64_t layer_count,
                              const char *_Nonnull const *_Nonnull hidden, int64_t hidden_count,
                              const char *_Nonnull output,
                              const char *_Nonnull loss, const char *_Nonnull initializer,
                              uint64_t seed, void *_Nullable *_Nonnull network_out,
                              char *_Nonnull message, int64_t capacity);

void sgd_network_destroy(void *_Nonnull network);

/* The flat parameter vector [W1, b1, W2, b2, ...], owned by the network, valid until destroy. */
void sgd_network_parameters(void *_Nonnull network, void *_Nullable *_Nonnull data_out,
                            int64_t *_Nonnull count_out);

sgd_status sgd_network_predict(void *_Nonnull network, sgd_matrix x, void *_Nonnull out,
                               int64_t out_count, char *_Nonnull message, int64_t capacity);

/* Mean loss over the rows; correct_out receives the number of correctly classified rows (with weights:
 * their total weight), or -1 when accuracy is not defined for this network (one non-sigmoid output).
 * Weights must not all be 0. */
sgd_status sgd_network_evaluate(void *_Nonnull network, sgd_matrix x, sgd_targets y,
                                const void *_Nullable weights, int64_t weight_count,
                                double *_Nonnull loss_out, double *_Nonnull correct_out,
                                char *_Nonnull message, int64_t capacity);

/* Gradient of the mean loss over the rows, laid out as the parameter vector. Weights must not all be 0. */
sgd_status sgd_network_gradient(void *_Nonnull network, sgd_matrix x, sgd_targets y,
                                const void *_Nullable weights, int64_t weight_count,
                                void *_Nonnull gradient_out, int64_t gradient_count,
                                double *_Nonnull loss_out, char *_Nonnull message,
                                int64_t capacity);

/* Mini-batch training with `optimizer` (of the network's dtype). history receives one record per
 * finished epoch (capacity at least options.epochs), gradient_norms per finished epoch one value per
 * layer (capacity at least options.epochs x layers); epochs_done_out the number of finished epochs,
 * also when interrupted or diverged. With weights, a mini-batch whose weights sum to 0 is skipped and
 * each batch's L2 term is scaled by its rows over its weight (see Network.fit in the core). */
sgd_status sgd_network_fit(void *_Nonnull network, void *_Nonnull optimizer, sgd_matrix x, sgd_targets y,
                           const void *_Nullable weights, int64_t weight_count,
                           sgd_matrix validation_x, sgd_targets validation_y,
                           const void *_Nullable validation_weights, int64_t validation_weight_count,
                           sgd_fit_options options, sgd_epoch_record *_Nonnull history,
                           int64_t history_capacity, double *_Nonnull gradient_norms,
                           int64_t gradient_norms_capacity, sgd_progress_callback _Nullable progress,
                           void *_Nullable context, int64_t *_Nonnull epochs_done_out,
                           char *_Nonnull message, int64_t capacity);

/* An optimizer for parameters of `dtype`; its state is sized on first use. */
sgd_status sgd_optimizer_create(int32_t dtype, sgd_optimizer_settings settings,
                                void *_Nullable *_Nonnull optimizer_out, char *_Nonnull message,
                                int64_t capacity);

void sgd_optimizer_destroy(void *_Nonnull optimizer);

/* Parameters the state is for, steps taken, and scalars of state (slots x parameters). */
void sgd_optimizer_info(void *_Nonnull optimizer, int64_t *_Nonnull count_out, int64_t *_Nonnull steps_out,
                        int64_t *_Nonnull state_count_out);

/* The learning rate of the next steps (NaN for a handle that is not an optimizer). */
double sgd_optimizer_learning_rate(void *_Nonnull optimizer);

/* Sets the learning rate of the next steps: a finite number >= 0. Also allowed while a fit runs with
 * this optimizer, from inside its progress callback. */
sgd_status sgd_optimizer_set_learning_rate(void *_Nonnull optimizer, double learning_rate,
                                           char *_Nonnull message, int64_t capacity);

/* Fresh state (zeros, no steps) for `count` parameters. */
sgd_status sgd_optimizer_reset(void *_Nonnull optimizer, int64_t count, char *_Nonnull message,
                               int64_t capacity);

/* One step over `arrays` parameter arrays updated in place, with their gradients, as one vector. */
sgd_status sgd_optimizer_step(void *_Nonnull optimizer, void *_Nonnull const *_Nonnull parameters,
                              const void *_Nonnull const *_Nonnull gradients,
                              const int64_t *_Nonnull counts, int64_t arrays,
                              char *_Nonnull message, int64_t capacity);

/* Copies the state (state_count scalars of the optimizer's dtype) out, or restores it. */
sgd_status sgd_optimizer_get_state(void *_Nonnull optimizer, void *_Nonnull out, int64_t out_count,
                                   char *_Nonnull message, int64_t capacity);
sgd_status sgd_optimizer_restore(void *_Nonnull optimizer, int64_t count, int64_t steps,
                                 const void *_Nonnull values, int64_t value_count,
                                 char *_Nonnull message, int64_t capacity);

#endif
