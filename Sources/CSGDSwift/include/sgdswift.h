/* The C ABI of the sgdswift training core.
 *
 * Implemented in Swift by @_cdecl functions (Sources/SGDExports); SGDExports/ABICheck.swift makes the
 * build fail if a declaration here and its Swift definition disagree. Every function that can fail
 * returns an sgd_status and writes a NUL-terminated message into `message` (capacity bytes). Matrices
 * are row-major and hold scalars of the network's dtype; nothing is copied: the core reads and
 * writes the caller's memory for the duration of the call only.
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

#define SGD_FLOAT32 0
#define SGD_FLOAT64 1

#define SGD_TARGETS_DENSE 0  /* rows x columns of the network's dtype */
#define SGD_TARGETS_LABELS 1 /* rows int64 class labels (columns ignored) */

/* A row-major matrix view. */
typedef struct {
    const void *_Nullable data;
    int64_t rows;
    int64_t columns;
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
    double learning_rate;
    int32_t shuffle;
    uint64_t seed;   /* shuffling: seed and stream of the core's random generator */
    uint64_t stream;
} sgd_fit_options;

/* One row of training history per finished epoch; NaN where a value does not apply. */
typedef struct {
    double loss;
    double accuracy;
    double validation_loss;
    double validation_accuracy;
    double seconds;
} sgd_epoch_record;

/* Called from inside fit: after every finished epoch (record != NULL, epoch is its index) and at
 * least every few milliseconds between mini-batches (record == NULL). A non-zero return stops
 * training at the current mini-batch boundary; fit then returns SGD_INTERRUPTED. */
typedef int32_t (*sgd_progress_callback)(void *_Nullable context, int64_t epoch,
                                         const sgd_epoch_record *_Nullable record);

/* Self-test of the statically linked Swift runtime (protocol conformance lookup works): 1 if OK. */
int32_t sgd_runtime_self_test(void);

sgd_status sgd_network_create(int32_t dtype, const int64_t *_Nonnull sizes, int64_t layer_count,
                              const char *_Nonnull hidden, const char *_Nonnull output,
                              const char *_Nonnull loss, const char *_Nonnull initializer,
                              uint64_t seed, void *_Nullable *_Nonnull network_out,
                              char *_Nonnull message, int64_t capacity);

void sgd_network_destroy(void *_Nonnull network);

/* The flat parameter vector [W1, b1, W2, b2, ...], owned by the network, valid until destroy. */
void sgd_network_parameters(void *_Nonnull network, void *_Nullable *_Nonnull data_out,
                            int64_t *_Nonnull count_out);

sgd_status sgd_network_predict(void *_Nonnull network, sgd_matrix x, void *_Nonnull out,
                               int64_t out_count, char *_Nonnull message, int64_t capacity);

/* Mean loss over the rows; correct_out receives the number of correctly classified rows, or -1
 * when accuracy is not defined for this network (one non-sigmoid output). */
sgd_status sgd_network_evaluate(void *_Nonnull network, sgd_matrix x, sgd_targets y,
                                double *_Nonnull loss_out, int64_t *_Nonnull correct_out,
                                char *_Nonnull message, int64_t capacity);

/* Gradient of the mean loss over the rows, laid out as the parameter vector. */
sgd_status sgd_network_gradient(void *_Nonnull network, sgd_matrix x, sgd_targets y,
                                void *_Nonnull gradient_out, int64_t gradient_count,
                                double *_Nonnull loss_out, char *_Nonnull message,
                                int64_t capacity);

/* Mini-batch gradient descent. history receives one record per finished epoch (capacity at least
 * options.epochs); epochs_done_out the number of finished epochs, also when interrupted. */
sgd_status sgd_network_fit(void *_Nonnull network, sgd_matrix x, sgd_targets y,
                           sgd_matrix validation_x, sgd_targets validation_y,
                           sgd_fit_options options, sgd_epoch_record *_Nonnull history,
                           int64_t history_capacity, sgd_progress_callback _Nullable progress,
                           void *_Nullable context, int64_t *_Nonnull epochs_done_out,
                           char *_Nonnull message, int64_t capacity);

#endif
