"""nasw - Python bindings of libnasw (the public C API, api/nasw.h), by ctypes.

    import nasw
    t = nasw.Table("nb201_final.csv")
    run = t.search("cifar10", "evolution", seed=1, budget=150)   # DataFrame (or dict of arrays)
    class MyStrategy:                                             # a strategy of your own
        def ask(self): return t.sample("cifar10", seed=...)
        def tell(self, arch, score, val, test): ...
    run = t.search("cifar10", MyStrategy(), seed=1, budget=150)
    run = t.run("cifar10", "evolution", seed=1, budget=3600, unit="seconds")
    live = nasw.Live("live:fmnist:proxy", journal="proxy.csv")   # the trainer, journaled
    p = nasw.Predictor(t, "cifar10", "xgb:rounds=200", seed=1)
    p.fit_predict(train_archs, train_y, test_archs)             # numpy array of predictions
    x = nasw.Extrapolator(seed=1)
    x.extrapolate([40, 55, 61, 64], target=50, method="mcmc")  # dict: mean, sd, q05, q95

The library is found in $NASW_LIB, next to this package's repository
(build/libnasw.so), or on the loader's path (an installed libnasw.so).
Results are pandas DataFrames when pandas is installed, else dicts of numpy
arrays (or of lists without numpy).  Errors raise nasw.Error with the
library's one-line message.
"""
import ctypes
import os

__all__ = ["Error", "Extrapolator", "Live", "Predictor", "Table", "extrapolation_methods", "strategies", "version"]


class Error(Exception):
    """A libnasw call failed; the message is the library's."""


def _load():
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("NASW_LIB"), os.path.join(here, "..", "..", "build", "libnasw.so"), "libnasw.so"]
    last = None
    for c in candidates:
        if not c:
            continue
        try:
            return ctypes.CDLL(c)
        except OSError as e:
            last = e
    raise Error("cannot load libnasw.so (build it with 'make lib' or set NASW_LIB): %s" % last)


_lib = _load()


class _Step(ctypes.Structure):
    _fields_ = [("arch", ctypes.c_char * 1024), ("val", ctypes.c_double), ("test", ctypes.c_double),
                ("best_val", ctypes.c_double), ("test_at_best", ctypes.c_double), ("total_cost_s", ctypes.c_double)]


_ASK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)  # buffer by address
_TELL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_double, ctypes.c_double,
                         ctypes.c_double)

_lib.nasw_errmsg.restype = ctypes.c_char_p
_lib.nasw_version.restype = ctypes.c_char_p
_lib.nasw_strategy_name.restype = ctypes.c_char_p
_lib.nasw_strategy_name.argtypes = [ctypes.c_int]
_lib.nasw_table_open.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
_lib.nasw_table_free.argtypes = [ctypes.c_void_p]
_lib.nasw_table_rows.argtypes = [ctypes.c_void_p]
_lib.nasw_table_rows.restype = ctypes.c_long
_lib.nasw_table_datasets.argtypes = [ctypes.c_void_p]
_lib.nasw_table_dataset.argtypes = [ctypes.c_void_p, ctypes.c_int]
_lib.nasw_table_dataset.restype = ctypes.c_char_p
_lib.nasw_table_dataset_index.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_lib.nasw_table_dataset_rows.argtypes = [ctypes.c_void_p, ctypes.c_int]
_lib.nasw_table_dataset_rows.restype = ctypes.c_long
_lib.nasw_table_query.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(ctypes.c_double),
                                  ctypes.POINTER(ctypes.c_double)]
_lib.nasw_table_arch.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p, ctypes.c_size_t]
_lib.nasw_search.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, _ASK, _TELL, ctypes.c_void_p,
                             ctypes.c_uint64, ctypes.c_long, ctypes.POINTER(ctypes.POINTER(_Step)),
                             ctypes.POINTER(ctypes.c_long)]
_lib.nasw_free.argtypes = [ctypes.c_void_p]
_lib.nasw_live_open.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint64]


class _RunOpts(ctypes.Structure):
    _fields_ = [("seed", ctypes.c_uint64), ("budget", ctypes.c_double), ("unit", ctypes.c_int)]


_UNITS = {"queries": 0, "seconds": 1, "epochs": 2}
_ROW_NUMS = ("budget", "seeds", "test_mean", "test_std", "test_ci95", "val_mean", "queries_to_best", "found_best",
             "regret_mean")


class _CompareRow(ctypes.Structure):
    _fields_ = [("dataset", ctypes.c_char * 128), ("strategy", ctypes.c_char * 512), ("budget", ctypes.c_double),
                ("seeds", ctypes.c_int), ("test_mean", ctypes.c_double), ("test_std", ctypes.c_double),
                ("test_ci95", ctypes.c_double), ("val_mean", ctypes.c_double), ("queries_to_best", ctypes.c_double),
                ("found_best", ctypes.c_int), ("regret_mean", ctypes.c_double)]

_lib.nasw_run.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(_RunOpts),
                          ctypes.POINTER(ctypes.POINTER(_Step)), ctypes.POINTER(ctypes.c_long)]
_lib.nasw_compare.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(_RunOpts),
                              ctypes.POINTER(ctypes.POINTER(_CompareRow)), ctypes.POINTER(ctypes.c_long)]
_lib.nasw_lcurve_new.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_uint64, ctypes.c_int]
_lib.nasw_lcurve_seed.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
_lib.nasw_lcurve_free.argtypes = [ctypes.c_void_p]
_lib.nasw_lcurve_extrapolate.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_double),
                                         ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_double, ctypes.c_double,
                                         ctypes.c_double * 4]
_lib.nasw_lcurve_method.argtypes = [ctypes.c_int]
_lib.nasw_lcurve_method.restype = ctypes.c_char_p
_lib.nasw_predictor_new.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p,
                                    ctypes.c_uint64]
_lib.nasw_predictor_seed.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
_lib.nasw_predictor_free.argtypes = [ctypes.c_void_p]
_lib.nasw_predictor_fit_predict.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p),
                                            ctypes.POINTER(ctypes.c_double), ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_double)]
_lib.nasw_sample.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_char_p, ctypes.c_size_t]
_lib.nasw_mutate.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_char_p,
                             ctypes.c_size_t]


def _check(rc):
    if rc < 0:
        raise Error(_lib.nasw_errmsg().decode())
    return rc


def version():
    """The library's version string."""
    return _lib.nasw_version().decode()


def _names(fn):
    """fn(0), fn(1), ... until NULL, decoded."""
    out, i = [], 0
    while True:
        n = fn(i)
        if n is None:
            return out
        out.append(n.decode())
        i += 1


def strategies():
    """Names of the registered strategies."""
    return _names(_lib.nasw_strategy_name)


def extrapolation_methods():
    """Names of the learning-curve extrapolation methods (Extrapolator)."""
    return _names(_lib.nasw_lcurve_method)


def _frame(columns):
    try:
        import pandas
        return pandas.DataFrame(columns)
    except ImportError:
        pass
    try:
        import numpy
        return {k: (numpy.asarray(v) if k not in ("arch", "dataset", "strategy") else v) for k, v in columns.items()}
    except ImportError:
        return columns


def _steps_frame(steps, n):
    """The trajectory of a C nasw_step array as a frame; frees the array."""
    try:
        cols = {k: [] for k in ("arch", "val", "test", "best_val", "test_at_best", "total_cost_s")}
        for i in range(n.value):
            s = steps[i]
            cols["arch"].append(s.arch.decode())
            for k in ("val", "test", "best_val", "test_at_best", "total_cost_s"):
                cols[k].append(getattr(s, k))
    finally:
        _lib.nasw_free(steps)
    return _frame(cols)


class Table:
    """A NAS-Bench-style table (CSV or JSON in nasw's schema)."""

    def __init__(self, path, metric=None, report=None):
        self._h = None
        h = ctypes.c_void_p()
        enc = lambda s: s.encode() if s is not None else None
        _check(_lib.nasw_table_open(ctypes.byref(h), path.encode(), enc(metric), enc(report)))
        self._h = h
        self.path = path

    def run(self, dataset, strategy, seed=1, budget=100, unit="queries"):
        """Run a registered strategy spec to completion: budget in "queries"
        (distinct), "seconds" (the table's simulated training time; needs a
        cost column) or "epochs" (needs curves).  The trajectory of `nasw
        search --seed SEED --budget B[s|e]`, one row per query (as search())."""
        if unit not in _UNITS:
            raise Error("unit '%s' (queries, seconds or epochs)" % unit)
        o = _RunOpts(seed, float(budget), _UNITS[unit])
        steps, n = ctypes.POINTER(_Step)(), ctypes.c_long()
        _check(_lib.nasw_run(self._h, self._d(dataset), strategy.encode(), ctypes.byref(o), ctypes.byref(steps),
                             ctypes.byref(n)))
        return _steps_frame(steps, n)

    def close(self):
        if self._h:
            _lib.nasw_table_free(self._h)
            self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def rows(self):
        return _lib.nasw_table_rows(self._h)

    @property
    def datasets(self):
        return [_lib.nasw_table_dataset(self._h, d).decode() for d in range(_lib.nasw_table_datasets(self._h))]

    def _d(self, dataset):
        if isinstance(dataset, int):
            return dataset
        return _check(_lib.nasw_table_dataset_index(self._h, dataset.encode()))

    def query(self, dataset, arch):
        """(search metric, report metric) of one architecture."""
        v, t = ctypes.c_double(), ctypes.c_double()
        _check(_lib.nasw_table_query(self._h, self._d(dataset), arch.encode(), ctypes.byref(v), ctypes.byref(t)))
        return v.value, t.value

    def archs(self, dataset):
        """Every architecture of a dataset, in file order."""
        d = self._d(dataset)
        buf = ctypes.create_string_buffer(1024)
        out = []
        for r in range(_lib.nasw_table_dataset_rows(self._h, d)):
            _check(_lib.nasw_table_arch(self._h, d, r, buf, len(buf)))
            out.append(buf.value.decode())
        return out

    def sample(self, dataset, seed):
        """A uniformly drawn architecture of the dataset's rows."""
        buf = ctypes.create_string_buffer(1024)
        _check(_lib.nasw_sample(self._h, self._d(dataset), seed, buf, len(buf)))
        return buf.value.decode()

    def mutate(self, dataset, arch, seed):
        """A random one-decision neighbour of arch among the dataset's rows."""
        buf = ctypes.create_string_buffer(1024)
        _check(_lib.nasw_mutate(self._h, self._d(dataset), arch.encode(), seed, buf, len(buf)))
        return buf.value.decode()

    def search(self, dataset, strategy, seed=1, budget=100):
        """Run one search: strategy is a spec of the registry ("evolution",
        "bo:encoding=path", ...) or an object with ask() -> arch string (None
        when done) and tell(arch, score, val, test).  Returns the trajectory:
        one row per distinct query (arch, val, test, best_val, test_at_best,
        total_cost_s)."""
        errors = []
        if isinstance(strategy, str):
            spec, ask, tell = strategy.encode(), _ASK(), _TELL()
        else:
            def ask_cb(_user, buf, n):
                try:
                    a = strategy.ask()
                    if a is None:
                        return 1
                    b = a.encode()
                    if len(b) >= n:
                        raise ValueError("architecture string too long")
                    ctypes.memmove(buf, b + b"\0", len(b) + 1)
                    return 0
                except Exception as e:  # noqa: BLE001 - reported after the C loop returns
                    errors.append(e)
                    return -1

            def tell_cb(_user, arch, score, val, test):
                try:
                    strategy.tell(arch.decode(), score, val, test)
                    return 0
                except Exception as e:  # noqa: BLE001
                    errors.append(e)
                    return -1
            spec, ask, tell = None, _ASK(ask_cb), _TELL(tell_cb)
        steps, n = ctypes.POINTER(_Step)(), ctypes.c_long()
        rc = _lib.nasw_search(self._h, self._d(dataset), spec, ask, tell, None, seed, budget, ctypes.byref(steps),
                              ctypes.byref(n))
        if errors:
            _lib.nasw_free(steps)
            raise errors[0]
        _check(rc)
        return _steps_frame(steps, n)

    def compare(self, strategies, seeds=10, budget=100, unit="queries"):
        """Run every strategy (a list of specs, or "a,b,c") on every dataset
        with seeds 1..seeds: the runs of `nasw compare`, and one row per
        (dataset, strategy) with its summary.csv statistics at the budget
        (NaN where that file has an empty field)."""
        if unit not in _UNITS:
            raise Error("unit '%s' (queries, seconds or epochs)" % unit)
        if not isinstance(strategies, str):
            strategies = ",".join(strategies)
        o = _RunOpts(0, float(budget), _UNITS[unit])
        rows, n = ctypes.POINTER(_CompareRow)(), ctypes.c_long()
        _check(_lib.nasw_compare(self._h, strategies.encode(), seeds, ctypes.byref(o), ctypes.byref(rows),
                                 ctypes.byref(n)))
        try:
            cols = {k: [] for k in ("dataset", "strategy") + _ROW_NUMS}
            for i in range(n.value):
                r = rows[i]
                cols["dataset"].append(r.dataset.decode())
                cols["strategy"].append(r.strategy.decode())
                for k in _ROW_NUMS:
                    cols[k].append(getattr(r, k))
        finally:
            _lib.nasw_free(rows)
        return _frame(cols)


class Live(Table):
    """The live trainer (Fashion-MNIST), spec "live:fmnist[:PRESET]...": one
    dataset, "fmnist"; every training is appended to the journal (a table
    file), so a rerun trains nothing twice.  query(), search() and run()
    train as they go; it has no rows (archs() is empty)."""

    def __init__(self, spec, journal, train_seed=1):
        self._h = None
        h = ctypes.c_void_p()
        _check(_lib.nasw_live_open(ctypes.byref(h), spec.encode(), journal.encode(), train_seed))
        self._h = h
        self.path = journal


class _Stream:
    """A library handle with its own random stream: _new(h) makes it, _free
    and _seed are the library's calls for it."""

    def _open(self, new, *args):
        self._h = None
        h = ctypes.c_void_p()
        _check(new(ctypes.byref(h), *args))
        self._h = h

    def close(self):
        if self._h:
            self._free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def reseed(self, seed):
        """Restart the stream from seed (as a new handle would)."""
        self._seed(self._h, seed)


class Extrapolator(_Stream):
    """Learning-curve extrapolation (Domhan et al. 2015): the methods of
    extrapolation_methods() on one random stream, reproducible from the
    seed (calls continue the stream; reseed() restarts it)."""
    _free, _seed = staticmethod(_lib.nasw_lcurve_free), staticmethod(_lib.nasw_lcurve_seed)

    def __init__(self, seed=1, starts=0):
        self._open(_lib.nasw_lcurve_new, seed, starts)

    def extrapolate(self, curve, target, method="ensemble", higher_is_better=True, lo=None, hi=None):
        """Predict epoch `target` from the observed curve (epochs 1..len).
        lo/hi: the metric's range (None: unbounded).  A dict with mean, sd,
        q05 and q95 (the 90% interval; NaN where the method gives none), or
        None when the method has no valid fit under the constraints."""
        y = (ctypes.c_double * len(curve))(*[float(v) for v in curve])
        out = (ctypes.c_double * 4)()
        nan = float("nan")
        rc = _check(_lib.nasw_lcurve_extrapolate(self._h, method.encode(), y, len(curve), int(target),
                                                 1 if higher_is_better else 0, nan if lo is None else float(lo),
                                                 nan if hi is None else float(hi), out))
        if rc == 1:
            return None
        return {"mean": out[0], "sd": out[1], "q05": out[2], "q95": out[3]}


class Predictor(_Stream):
    """A predictor of `nasw predict --predictors` (gp, lstm, xgb, rf, mlp,
    gcn, ensemble:members=..., or a numeric column of the table) on a
    table's dataset: fit_predict(train, y, test) fits on architecture strings
    with targets and predicts others, exactly one cell of `nasw predict`.
    Fits draw from the handle's stream, reproducible from the seed."""

    _free, _seed = staticmethod(_lib.nasw_predictor_free), staticmethod(_lib.nasw_predictor_seed)

    def __init__(self, table, dataset, spec, seed=1):
        self._table = table          # the handle reads the table: keep it alive
        self._open(_lib.nasw_predictor_new, table._h, table._d(dataset), spec.encode(), seed)

    def fit_predict(self, train, y, test):
        tr = (ctypes.c_char_p * max(len(train), 1))(*[a.encode() for a in train])
        te = (ctypes.c_char_p * max(len(test), 1))(*[a.encode() for a in test])
        yy = (ctypes.c_double * max(len(y), 1))(*[float(v) for v in y])
        if len(y) != len(train):
            raise Error("%d targets for %d training architectures" % (len(y), len(train)))
        out = (ctypes.c_double * max(len(test), 1))()
        _check(_lib.nasw_predictor_fit_predict(self._h, tr, yy, len(train), te, len(test), out))
        vals = [out[i] for i in range(len(test))]
        try:
            import numpy
            return numpy.asarray(vals)
        except ImportError:
            return vals
