//! Evaluates a pattern against observed data (work in progress).
