"""Reference values for test/stats-inference.test.ts, computed once with SciPy and pasted there.

Run: python3 test/reference/stats_reference.py  (printed with scipy 1.17.1, numpy 2.4.6, Python 3.11).
Each printed line names the exact call. `_bca_interval` is scipy's private BCa helper (scipy 1.17): it is
fed the exhaustive bootstrap distribution (all n^n ordered resamples), so the BCa parts can be compared
exactly rather than up to Monte-Carlo error; the public `stats.bootstrap` lines agree with it.
"""
import numpy as np, scipy, itertools
from scipy import stats
from scipy.stats._resampling import _bca_interval
print("scipy", scipy.__version__, "numpy", np.__version__)
S1=[0.7,-1.6,-0.2,-1.2,-0.1,3.4,3.7,0.8,0.0,2.0]
S2=[1.9,0.8,1.1,0.1,-0.1,4.4,5.5,1.6,4.6,3.4]
r=stats.ttest_rel(S1,S2); print("ttest_rel(S1,S2)", repr(r.statistic), repr(r.pvalue), r.df)
ci=r.confidence_interval(0.95); print(" ci", repr(ci.low), repr(ci.high))
A=[12.1,14.3,9.8,11.0,13.7,10.2]; B=[10.4,13.9,10.1,9.2,12.0,9.9]
r=stats.ttest_rel(A,B); print("ttest_rel(A,B)", repr(r.statistic), repr(r.pvalue))
# Wilcoxon: exact (no ties, no zeros)
X=[1.83,0.50,1.62,2.48,1.68,1.88,1.55,3.06,1.30]; Y=[0.878,0.647,0.598,2.05,1.06,1.29,1.06,3.14,1.29]
r=stats.wilcoxon(X,Y); print("wilcoxon(X,Y) exact", repr(r.statistic), repr(r.pvalue))
r=stats.wilcoxon(X,Y,method='exact'); print(" check exact", repr(r.pvalue))
# ties and a zero, n<=13 -> permutation (exhaustive)
r=stats.wilcoxon(S1,S2); print("wilcoxon(S1,S2) ties+zero", repr(r.statistic), repr(r.pvalue))
# ties, n=20 -> asymptotic
rng=np.random.default_rng(7)
D20=[round(v,1) for v in rng.normal(0.3,1,20)]
print("D20", D20)
r=stats.wilcoxon(D20); print("wilcoxon(D20) asymptotic", repr(r.statistic), repr(r.pvalue))
# all same sign small n
r=stats.wilcoxon([1.0,2.0,3.0,4.0,5.0]); print("wilcoxon([1..5])", repr(r.statistic), repr(r.pvalue))
# Spearman with tied x
HX=[50,50,50,120,120,120,200,200,200]; HY=[4.1,3.2,5.0,5.5,4.4,6.1,6.0,7.2,5.1]
r=stats.spearmanr(HX,HY); print("spearmanr(HX,HY)", repr(r.statistic), repr(r.pvalue))
r=stats.spearmanr([1,2,3,4,5,6],[6,5,4,4,2,1]); print("spearmanr dec", repr(r.statistic), repr(r.pvalue))
# Bootstrap: exhaustive distribution of the mean for n=5
def bootstrap_reference(name, D):
    """BCa parts on the exhaustive bootstrap distribution of the mean (all n^n resamples), and the public API."""
    D = np.array(D)
    n = len(D)
    idx = np.array(list(itertools.product(range(n), repeat=n)))
    theta = D[idx].mean(axis=1)
    a1, a2, ahat = _bca_interval((D,), lambda x, axis: np.mean(x, axis=axis), -1, 0.025, theta, None, np)
    print(name, "bca alphas", repr(float(a1)), repr(float(a2)), "a_hat", repr(float(ahat)))
    print(name, "bca interval", repr(float(stats.quantile(theta, float(a1)))), repr(float(stats.quantile(theta, float(a2)))))
    print(name, "percentile interval", repr(float(stats.quantile(theta, 0.025))), repr(float(stats.quantile(theta, 0.975))))
    for m in ['percentile', 'BCa']:
        r = stats.bootstrap((D,), np.mean, method=m, n_resamples=99999, rng=np.random.default_rng(1))
        print(name, "stats.bootstrap((D,), np.mean, method=%r, n_resamples=99999, rng=default_rng(1))" % m, repr(r.confidence_interval.low), repr(r.confidence_interval.high))
bootstrap_reference("D5", [1.2,3.4,0.5,7.9,2.2])
# KM
T=[3,5,5,8,10,12,12,15,20,22]; E=[1,1,0,1,0,1,1,0,1,0]
unc=[t for t,e in zip(T,E) if e]; cen=[t for t,e in zip(T,E) if not e]
res=stats.ecdf(stats.CensoredData(uncensored=unc, right=cen))
q=res.sf.quantiles; p=res.sf.probabilities
print("km times", list(q), "S", [repr(float(x)) for x in p])
def rmst(tau):
    area=0; prev=0; s=1.0
    for t,sv in zip(q,p):
        if t>tau: break
        area+=s*(t-prev); prev=t; s=sv
    return area+s*(tau-prev)
print("rmst(25)", repr(rmst(25)), "rmst(10)", repr(rmst(10)))
med=[t for t,sv in zip(q,p) if sv<=0.5]
print("median", med[0] if med else None)
D20s=[round(v+0.5,1) for v in D20]
print("D20s", D20s)
r=stats.wilcoxon(D20s); print("wilcoxon(D20s) asymptotic", repr(r.statistic), repr(r.pvalue))
bootstrap_reference("D6", [0.8,3.1,0.2,5.4,1.7,2.6])
# KM: a step exactly at 0.5, and a curve that never reaches 0.5
for name,T2,E2 in [("km4",[1,2,3,4],[1,1,1,1]),("kmcens",[2,4,6,8,9],[1,0,0,1,0])]:
    res=stats.ecdf(stats.CensoredData(uncensored=[t for t,e in zip(T2,E2) if e], right=[t for t,e in zip(T2,E2) if not e]))
    print(name, "times", [float(x) for x in res.sf.quantiles], "S", [repr(float(x)) for x in res.sf.probabilities])
# Wilcoxon, n = 16 with two zeros and ties -> asymptotic with tie correction
W16=[0.5,-0.3,0.0,1.2,0.5,0.8,-0.3,0.0,1.1,0.9,0.5,-0.2,0.7,1.4,0.6,0.3]
r=stats.wilcoxon(W16); print("wilcoxon(W16) asymptotic", repr(r.statistic), repr(r.pvalue))
# Spearman: exact over all n! pairings for small n (what cyrange uses for n <= 9)
def spearman_exact(x, y):
    r = stats.permutation_test((y,), lambda yy, axis=-1: stats.spearmanr(x, yy).statistic, permutation_type='pairings', n_resamples=np.inf, alternative='two-sided', vectorized=False)
    return r.statistic, r.pvalue
print("spearman_exact(HX,HY)", spearman_exact(HX, HY))
print("spearman_exact([50,50,120,120,200,200],[4.1,3.2,5.5,4.4,6.0,7.2])", spearman_exact([50,50,120,120,200,200],[4.1,3.2,5.5,4.4,6.0,7.2]))
print("spearman_exact([1,2,3,4,5,6],[6,5,4,4,2,1])", spearman_exact([1,2,3,4,5,6],[6,5,4,4,2,1]))
HX12=[50]*4+[120]*4+[200]*4; HY12=[4.1,3.2,5.0,6.3,5.5,4.4,6.1,4.9,6.0,7.2,5.1,6.6]
r=stats.spearmanr(HX12,HY12); print("spearmanr(HX12,HY12)", repr(r.statistic), repr(r.pvalue))
