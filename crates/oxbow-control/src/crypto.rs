//! Secrets at rest: values are encrypted with a 256-bit key kept in
//! `<data-dir>/control.key` (mode 0600, created on first start). The
//! construction uses only HMAC-SHA-256, already a dependency: a keystream of
//! HMAC(enc_key, nonce ‖ counter) blocks XORed with the plaintext (HMAC as a
//! PRF in counter mode), then encrypt-then-MAC with HMAC(mac_key, nonce ‖
//! ciphertext). Encryption and MAC keys are derived from the file's key.
//! Whoever can read the data directory can read the key: this protects
//! copies of the database, not a compromised host.

use std::path::Path;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const NONCE_LEN: usize = 16;
const TAG_LEN: usize = 32;

pub struct Key {
    enc: [u8; 32],
    mac: [u8; 32],
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl Key {
    pub fn from_bytes(raw: &[u8; 32]) -> Key {
        Key { enc: hmac(raw, &[b"oxbow secrets encryption"]), mac: hmac(raw, &[b"oxbow secrets authentication"]) }
    }

    pub fn load_or_create(path: &Path) -> anyhow::Result<Key> {
        if let Ok(bytes) = std::fs::read(path) {
            let raw: [u8; 32] =
                bytes.try_into().map_err(|_| anyhow::anyhow!("{} must hold exactly 32 bytes", path.display()))?;
            return Ok(Key::from_bytes(&raw));
        }
        let raw = crate::util::random_bytes::<32>();
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        f.write_all(&raw)?;
        f.sync_all()?;
        Ok(Key::from_bytes(&raw))
    }

    fn keystream_xor(&self, nonce: &[u8], data: &mut [u8]) {
        for (i, chunk) in data.chunks_mut(32).enumerate() {
            let block = hmac(&self.enc, &[nonce, &(i as u64).to_be_bytes()]);
            for (b, k) in chunk.iter_mut().zip(block) {
                *b ^= k;
            }
        }
    }

    /// base64(nonce ‖ ciphertext ‖ tag)
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let nonce = crate::util::random_bytes::<NONCE_LEN>();
        let mut ct = plaintext.to_vec();
        self.keystream_xor(&nonce, &mut ct);
        let tag = hmac(&self.mac, &[&nonce, &ct]);
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let raw = base64::engine::general_purpose::STANDARD.decode(sealed)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            anyhow::bail!("sealed value too short");
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        let expected = hmac(&self.mac, &[nonce, ct]);
        if expected.iter().zip(tag).fold(0u8, |a, (x, y)| a | (x ^ y)) != 0 {
            anyhow::bail!("sealed value fails authentication (wrong key or tampered)");
        }
        let mut pt = ct.to_vec();
        self.keystream_xor(nonce, &mut pt);
        Ok(pt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open() {
        let k = Key::from_bytes(&[7; 32]);
        let msg = b"{\"username\":\"alice\",\"password\":\"a fairly long password over one block\"}";
        let sealed = k.seal(msg);
        assert!(!sealed.contains("alice"));
        assert_eq!(k.open(&sealed).unwrap(), msg);
        assert!(Key::from_bytes(&[8; 32]).open(&sealed).is_err());
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&sealed).unwrap();
        raw[20] ^= 1;
        assert!(k.open(&base64::engine::general_purpose::STANDARD.encode(raw)).is_err());
    }
}
