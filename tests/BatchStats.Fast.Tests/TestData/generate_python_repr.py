"""Regenerates python_repr_golden.txt: how Python's repr writes floats, for the Python-dict ToString of the snapshot.

Run with Debian's python3: /usr/bin/python3 generate_python_repr.py > python_repr_golden.txt
Each line is a double's IEEE bits in hex and repr() of it. The tests read the committed file and never need Python.
"""
import random
import struct

rng = random.Random(20261130)
values = [0.0, -0.0, 1.0, 2.0, 0.5, 0.1, 0.2 + 0.1, 1 / 3, 100.0, 12345.0, 0.0125, 5e-05, 1.5e-05,
          1e-04, 9.999999999999999e-05, 1e-05, 0.00012, 1e15, 1e16, 9999999999999998.0, 1.0000000000000002,
          2.0 ** 53, 2.0 ** 53 + 2, 123456789012345680.0, 5e-324, 2.2250738585072014e-308,
          1.7976931348623157e308, 1e300, 1e-300, 0.001, 0.016, 4.75, 312.5, 0.03125, 67388.27557780877,
          float("inf"), float("-inf"), float("nan")]
for _ in range(300):
    values.append(10.0 ** rng.uniform(-12, 20))
for _ in range(100):
    values.append(rng.lognormvariate(-6, 2))
for _ in range(100):
    values.append(float(rng.randrange(0, 10 ** rng.randrange(1, 19))))
for _ in range(100):
    values.append(rng.randrange(1, 10 ** 6) / 10 ** rng.randrange(0, 12))
for v in values:
    print(struct.pack(">d", v).hex(), repr(v))
