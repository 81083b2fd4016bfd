"""scikit-learn reference for the forest benchmarks (bench/synthetic-task.mjs calls it).

Reads the rows the bench wrote (raw little-endian float32 / int32 files), fits RandomForestClassifier
with the given keyword arguments (JSON), and prints one JSON line: fit and predict times (ms), fit CPU
time, test accuracy and F1 of class 1 (predict's default rule, P > 0.5).
usage: python3 sklearn_rf.py DIR N_TRAIN N_TEST N_COLS PARAMS_JSON
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score

d = sys.argv[1]
n_train, n_test, n_cols = (int(v) for v in sys.argv[2:5])
params = json.loads(sys.argv[5])

x_train = np.fromfile(os.path.join(d, 'x_train.f32'), dtype='<f4').reshape(n_train, n_cols)
y_train = np.fromfile(os.path.join(d, 'y_train.i32'), dtype='<i4')
x_test = np.fromfile(os.path.join(d, 'x_test.f32'), dtype='<f4').reshape(n_test, n_cols)
y_test = np.fromfile(os.path.join(d, 'y_test.i32'), dtype='<i4')

clf = RandomForestClassifier(**params)
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
    'f1': float(f1_score(y_test, pred, pos_label=1)) if len(set(y_test.tolist())) > 1 else None,
    'sklearn': __import__('sklearn').__version__,
}))
