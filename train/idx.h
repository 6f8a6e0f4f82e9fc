/*
 * train/idx.h - the IDX file format (LeCun's MNIST format), gzip or plain.
 *
 * Reads Fashion-MNIST as Debian's dataset-fashion-mnist package ships it
 * (/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}
 * -ubyte.gz) through zlib's gz* functions, which read plain files too.
 * Errors name the file: missing, bad magic number, wrong dimensions,
 * truncated data, labels out of range, images/labels count mismatch.
 */
#ifndef NASW_TRAIN_IDX_H
#define NASW_TRAIN_IDX_H

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

struct idx_set {
    int n, rows, cols;          /* images: n x rows x cols */
    unsigned char *pixels;      /* n*rows*cols, row-major */
    unsigned char *labels;      /* n, each < 10 */
};

/* Load images + labels (paths may be .gz or plain).  NASW_EIO / NASW_EPARSE
 * with a message naming the file on failure. */
int idx_load(struct idx_set *out, const char *images_path, const char *labels_path);
void idx_release(struct idx_set *s);

/* The Fashion-MNIST directory: $NASW_FMNIST if set and not empty, else
 * FMNIST_DIR (the data can live elsewhere than Debian's package puts it). */
const char *fmnist_dir(void);

/* Fashion-MNIST from a directory holding the four standard files. */
int fmnist_load(struct idx_set *train, struct idx_set *test, const char *dir);

#endif
