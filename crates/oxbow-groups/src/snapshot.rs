//! The byte encoding of group state kept in the metadata store
//! (`GroupStateStore`). Versioned, length-prefixed, and decoded with every
//! count checked against the bytes left, so a corrupt row is an error,
//! never a panic or a huge allocation.

use std::collections::BTreeMap;

use bytes::{Buf, BufMut, Bytes};
use uuid::Uuid;

use crate::assignor::Assignment;

/// First byte of every snapshot; bump it when the layout changes.
pub const FORMAT_VERSION: u8 = 1;
pub const KIND_CLASSIC: u8 = 1;
pub const KIND_CONSUMER: u8 = 2;

#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.0.put_u8(v);
    }
    pub fn i32(&mut self, v: i32) {
        self.0.put_i32(v);
    }
    pub fn u64(&mut self, v: u64) {
        self.0.put_u64(v);
    }
    pub fn len(&mut self, n: usize) {
        self.0.put_u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.len(v.len());
        self.0.put_slice(v);
    }
    pub fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    pub fn opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }
    pub fn uuid(&mut self, v: Uuid) {
        self.0.put_slice(v.as_bytes());
    }
    pub fn assignment(&mut self, a: &Assignment) {
        self.len(a.len());
        for (t, ps) in a {
            self.uuid(*t);
            self.len(ps.len());
            for p in ps {
                self.i32(*p);
            }
        }
    }
}

pub struct Reader<'a>(pub &'a [u8]);

pub type DecodeResult<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn need(&self, n: usize) -> DecodeResult<()> {
        if self.0.remaining() < n {
            return Err(format!("group state truncated: need {n} bytes, {} left", self.0.remaining()));
        }
        Ok(())
    }
    pub fn u8(&mut self) -> DecodeResult<u8> {
        self.need(1)?;
        Ok(self.0.get_u8())
    }
    pub fn i32(&mut self) -> DecodeResult<i32> {
        self.need(4)?;
        Ok(self.0.get_i32())
    }
    pub fn u64(&mut self) -> DecodeResult<u64> {
        self.need(8)?;
        Ok(self.0.get_u64())
    }
    /// A count of items each at least `min_item_bytes` long: bounded by the bytes left.
    pub fn len(&mut self, min_item_bytes: usize) -> DecodeResult<usize> {
        self.need(4)?;
        let n = self.0.get_u32() as usize;
        if n.saturating_mul(min_item_bytes.max(1)) > self.0.remaining() && min_item_bytes > 0 {
            return Err(format!("group state count {n} exceeds the bytes left"));
        }
        Ok(n)
    }
    pub fn bytes(&mut self) -> DecodeResult<Bytes> {
        let n = self.len(1)?;
        self.need(n)?;
        let v = Bytes::copy_from_slice(&self.0[..n]);
        self.0.advance(n);
        Ok(v)
    }
    pub fn str(&mut self) -> DecodeResult<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| "group state string is not UTF-8".to_string())
    }
    pub fn opt_str(&mut self) -> DecodeResult<Option<String>> {
        Ok(if self.u8()? == 1 { Some(self.str()?) } else { None })
    }
    pub fn uuid(&mut self) -> DecodeResult<Uuid> {
        self.need(16)?;
        let mut b = [0u8; 16];
        self.0.copy_to_slice(&mut b);
        Ok(Uuid::from_bytes(b))
    }
    pub fn assignment(&mut self) -> DecodeResult<Assignment> {
        let mut a = Assignment::new();
        for _ in 0..self.len(20)? {
            let t = self.uuid()?;
            let n = self.len(4)?;
            let mut ps = std::collections::BTreeSet::new();
            for _ in 0..n {
                ps.insert(self.i32()?);
            }
            a.insert(t, ps);
        }
        Ok(a)
    }
    pub fn assignments(&mut self) -> DecodeResult<BTreeMap<String, Assignment>> {
        let mut out = BTreeMap::new();
        for _ in 0..self.len(8)? {
            let k = self.str()?;
            out.insert(k, self.assignment()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_lying_counts_are_errors() {
        let mut w = Writer::default();
        w.str("hello");
        let mut a = Assignment::new();
        a.entry(Uuid::from_u128(7)).or_default().extend([1, 2]);
        w.assignment(&a);
        let full = w.0.clone();
        let mut r = Reader(&full);
        assert_eq!(r.str().expect("str"), "hello");
        assert_eq!(r.assignment().expect("assignment"), a);
        for cut in 0..full.len() {
            let mut r = Reader(&full[..cut]);
            assert!(r.str().and_then(|_| r.assignment()).is_err(), "cut at {cut}");
        }
        let lying = [0xff, 0xff, 0xff, 0xff];
        assert!(Reader(&lying).assignment().is_err());
    }
}
