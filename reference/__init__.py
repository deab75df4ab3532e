"""Grading oracles (reference solutions); kept out of the wheel and out of student kernels."""
