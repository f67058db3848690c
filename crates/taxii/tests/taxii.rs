//! Integration tests of the TAXII crate: the routes driven with `oneshot`, the OASIS
//! `taxii2-client` against a served node, and the client against a real `medallion`.

mod taxii {
    pub mod common;
    mod http;
    mod interop;
    mod origins;
    mod paging;
}
