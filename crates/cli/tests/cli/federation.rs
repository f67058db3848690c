//! A real federation of `concord serve` processes on loopback.
