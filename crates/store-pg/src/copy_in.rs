//! Rows for a `COPY ... FROM STDIN (FORMAT binary)`, handed to the connection in large
//! chunks.
//!
//! `tokio_postgres::binary_copy::BinaryCopyInWriter` sends every 4 KiB as it fills, and
//! each send waits until the connection's task (on the store's runtime) has taken the one
//! before: at 2.5 MB per import batch that was some 600 thread hand-offs, during which
//! neither the encoding nor the server moved on (a bulk import's writer spent most of
//! its time waking the runtime). Here rows are encoded into one buffer and handed over
//! every [`CHUNK`] bytes: the server reads one chunk while the next is encoded.

use std::pin::Pin;

use bytes::{BufMut, Bytes, BytesMut};
use concord_store::StoreError;
use futures_util::SinkExt;
use tokio_postgres::CopyInSink;
use tokio_postgres::types::{IsNull, ToSql, Type};

use crate::{Fail, R};

/// Bytes handed to the connection at a time.
const CHUNK: usize = 256 * 1024;

/// The binary COPY header: signature, flags, header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// A binary COPY under way; [`CopyIn::finish`] ends it (dropped unfinished, the COPY is
/// aborted, and with it the transaction).
pub(crate) struct CopyIn<'t> {
    sink: Pin<Box<CopyInSink<Bytes>>>,
    types: &'t [Type],
    buf: BytesMut,
}

impl<'t> CopyIn<'t> {
    /// Starts `statement` (a `COPY ... FROM STDIN (FORMAT binary)` of columns of
    /// `types`) on `client`.
    pub(crate) async fn start(
        client: &tokio_postgres::Transaction<'_>,
        statement: &str,
        types: &'t [Type],
    ) -> R<CopyIn<'t>> {
        let sink = client.copy_in(statement).await?;
        let mut buf = BytesMut::with_capacity(CHUNK + 64 * 1024);
        buf.put_slice(HEADER);
        Ok(CopyIn {
            sink: Box::pin(sink),
            types,
            buf,
        })
    }

    /// Appends one row, a value per column.
    ///
    /// # Panics
    /// `values` has not one value per column (a bug of the caller's).
    pub(crate) async fn row(&mut self, values: &[&(dyn ToSql + Sync)]) -> R<()> {
        assert_eq!(values.len(), self.types.len(), "one value per column");
        let fields = i16::try_from(values.len()).expect("a row has fewer than 32768 columns");
        self.buf.put_i16(fields);
        for (i, (value, ty)) in values.iter().zip(self.types).enumerate() {
            let at = self.buf.len();
            self.buf.put_i32(0);
            let written = value
                .to_sql_checked(ty, &mut self.buf)
                .map_err(|e| Fail(StoreError::Backend(format!("column {i} of a COPY: {e}"))))?;
            let len = match written {
                IsNull::Yes => -1,
                IsNull::No => i32::try_from(self.buf.len() - at - 4).map_err(|_| {
                    Fail(StoreError::Backend(format!(
                        "column {i} of a COPY is larger than 2 GiB"
                    )))
                })?,
            };
            self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
        if self.buf.len() >= CHUNK {
            let chunk = self.buf.split().freeze();
            self.sink.send(chunk).await?;
        }
        Ok(())
    }

    /// Sends the rest and ends the COPY; how many rows the server took.
    pub(crate) async fn finish(mut self) -> R<u64> {
        self.buf.put_i16(-1);
        let chunk = self.buf.split().freeze();
        self.sink.send(chunk).await?;
        Ok(self.sink.as_mut().finish().await?)
    }
}
