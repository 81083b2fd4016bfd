"""scikit-learn reference for bench/defenders.bench.mjs.

Reads the data the bench wrote (raw little-endian float32 / int32 files), fits
RandomForestClassifier with the bench's settings, and prints one JSON line with
fit and predict times (ms), fit CPU time and test accuracy.
usage: python3 sklearn_rf.py DIR N_TRAIN N_TEST N_COLS N_TREES MAX_FEATURES N_JOBS
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier

d = sys.argv[1]
n_train, n_test, n_cols, n_trees = (int(v) for v in sys.argv[2:6])
max_features = float(sys.argv[6])
n_jobs = int(sys.argv[7])

x_train = np.fromfile(os.path.join(d, 'x_train.f32'), dtype='<f4').reshape(n_train, n_cols)
y_train = np.fromfile(os.path.join(d, 'y_train.i32'), dtype='<i4')
x_test = np.fromfile(os.path.join(d, 'x_test.f32'), dtype='<f4').reshape(n_test, n_cols)
y_test = np.fromfile(os.path.join(d, 'y_test.i32'), dtype='<i4')

clf = RandomForestClassifier(n_estimators=n_trees, max_features=max_features, n_jobs=n_jobs, random_state=1)
c0 = time.process_time()
t0 = time.perf_counter()
clf.fit(x_train, y_train)
t1 = time.perf_counter()
c1 = time.process_time()
pred = clf.predict(x_test)
t2 = time.perf_counter()
print(json.dumps({
    'fit_ms': (t1 - t0) * 1000,
    'cpu_ms': (c1 - c0) * 1000,  # all threads of the process
    'predict_ms': (t2 - t1) * 1000,
    'accuracy': float((pred == y_test).mean()),
    'sklearn': __import__('sklearn').__version__,
}))
