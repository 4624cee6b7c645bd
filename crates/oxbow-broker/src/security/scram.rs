//! SASL mechanisms as pure state machines: SCRAM-SHA-256/512 (RFC 5802 /
//! RFC 7677, salted credentials only) and PLAIN verified against the same
//! salted SCRAM credentials (no password is ever stored).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use oxbow_meta_store::ScramCredential;
use ring::{digest, hmac, pbkdf2, rand::SecureRandom};

pub const SCRAM_SHA_256: &str = "SCRAM-SHA-256";
pub const SCRAM_SHA_512: &str = "SCRAM-SHA-512";
/// Kafka's bounds for credential iterations.
pub const ITERATIONS_MIN: i32 = 4096;
pub const ITERATIONS_MAX: i32 = 16384;
/// Longest SASL token we accept (a SCRAM message or PLAIN triple is far shorter).
pub const SASL_TOKEN_BYTES_MAX: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha512,
}

impl Hash {
    pub fn for_mechanism(m: &str) -> Option<Hash> {
        match m {
            SCRAM_SHA_256 => Some(Hash::Sha256),
            SCRAM_SHA_512 => Some(Hash::Sha512),
            _ => None,
        }
    }
    pub fn mechanism(self) -> &'static str {
        match self {
            Hash::Sha256 => SCRAM_SHA_256,
            Hash::Sha512 => SCRAM_SHA_512,
        }
    }
    /// Kafka's `ScramMechanism` code in the admin APIs.
    pub fn code(self) -> i8 {
        match self {
            Hash::Sha256 => 1,
            Hash::Sha512 => 2,
        }
    }
    pub fn from_code(code: i8) -> Option<Hash> {
        match code {
            1 => Some(Hash::Sha256),
            2 => Some(Hash::Sha512),
            _ => None,
        }
    }
    fn hmac_alg(self) -> hmac::Algorithm {
        match self {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha512 => hmac::HMAC_SHA512,
        }
    }
    fn pbkdf2_alg(self) -> pbkdf2::Algorithm {
        match self {
            Hash::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
            Hash::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
        }
    }
    fn digest_alg(self) -> &'static digest::Algorithm {
        match self {
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha512 => &digest::SHA512,
        }
    }
    /// Digest (and key) size in bytes.
    pub fn output_bytes(self) -> usize {
        self.digest_alg().output_len()
    }
}

fn hmac_of(h: Hash, key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(h.hmac_alg(), key), data).as_ref().to_vec()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// PBKDF2 (RFC 5802's Hi).
pub fn salted_password(h: Hash, password: &[u8], salt: &[u8], iterations: i32) -> Vec<u8> {
    let mut out = vec![0u8; h.output_bytes()];
    let n = std::num::NonZeroU32::new(iterations.max(1) as u32).unwrap_or(std::num::NonZeroU32::MIN);
    pbkdf2::derive(h.pbkdf2_alg(), n, salt, password, &mut out);
    out
}

/// The stored credential from a salted password (what AlterUserScramCredentials sends).
pub fn credential_from_salted(h: Hash, user: &str, salt: Vec<u8>, salted: &[u8], iterations: i32) -> ScramCredential {
    let client_key = hmac_of(h, salted, b"Client Key");
    ScramCredential {
        user: user.to_string(),
        mechanism: h.mechanism().to_string(),
        stored_key: digest::digest(h.digest_alg(), &client_key).as_ref().to_vec(),
        server_key: hmac_of(h, salted, b"Server Key"),
        salt,
        iterations,
    }
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    // SystemRandom failing means the OS has no randomness: nothing safe to do.
    ring::rand::SystemRandom::new().fill(&mut v).expect("operating system randomness is available");
    v
}

/// A credential for a password, with a fresh random salt (used by the CLI).
pub fn credential_from_password(h: Hash, user: &str, password: &str, iterations: i32) -> ScramCredential {
    let salt = random_bytes(32);
    let salted = salted_password(h, password.as_bytes(), &salt, iterations);
    credential_from_salted(h, user, salt, &salted, iterations)
}

/// Whether `password` matches a stored credential (SASL/PLAIN).
pub fn verify_password(c: &ScramCredential, password: &str) -> bool {
    let Some(h) = Hash::for_mechanism(&c.mechanism) else { return false };
    let salted = salted_password(h, password.as_bytes(), &c.salt, c.iterations);
    let derived = credential_from_salted(h, &c.user, c.salt.clone(), &salted, c.iterations);
    constant_time_eq(&derived.stored_key, &c.stored_key)
}

/// Parses a SASL/PLAIN message: `[authzid] NUL user NUL password`. An
/// authorization id, when present, must equal the user (as Kafka requires).
pub fn parse_plain(token: &[u8]) -> Result<(String, String), &'static str> {
    let text = std::str::from_utf8(token).map_err(|_| "PLAIN message is not UTF-8")?;
    let mut parts = text.split('\0');
    let (Some(authz), Some(user), Some(password), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("PLAIN message is not authzid NUL user NUL password");
    };
    if user.is_empty() || password.is_empty() {
        return Err("PLAIN user and password must not be empty");
    }
    if !authz.is_empty() && authz != user {
        return Err("PLAIN authorization id must be empty or the user");
    }
    Ok((user.to_string(), password.to_string()))
}

/// The user name in a SCRAM `n=` attribute: `=2C` is ',' and `=3D` is '='.
fn decode_saslname(s: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3) {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err("invalid escape in SCRAM user name"),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The parsed client-first message.
#[derive(Debug)]
pub struct ClientFirst {
    pub user: String,
    pub gs2_header: String,
    pub bare: String,
    pub nonce: String,
}

pub fn parse_client_first(token: &[u8]) -> Result<ClientFirst, &'static str> {
    let text = std::str::from_utf8(token).map_err(|_| "SCRAM message is not UTF-8")?;
    // gs2-header: channel binding flag ("n" or "y"; "p" needs channel binding, which Kafka does not offer), authzid.
    let mut it = text.splitn(3, ',');
    let (Some(cb), Some(authz), Some(bare)) = (it.next(), it.next(), it.next()) else {
        return Err("SCRAM client-first message is malformed");
    };
    if cb != "n" && cb != "y" {
        return Err("SCRAM channel binding is not supported");
    }
    let mut user = None;
    let mut nonce = None;
    for attr in bare.split(',') {
        match attr.split_once('=') {
            Some(("n", v)) => user = Some(decode_saslname(v)?),
            Some(("r", v)) => nonce = Some(v.to_string()),
            // Extensions (Kafka's tokenauth=true for delegation tokens) are not supported.
            Some(("m", _)) => return Err("SCRAM mandatory extensions are not supported"),
            Some((k, _)) if k.len() == 1 => {}
            _ => {
                if attr.starts_with("tokenauth") {
                    return Err("delegation token authentication is not supported");
                }
            }
        }
    }
    let (Some(user), Some(nonce)) = (user, nonce) else { return Err("SCRAM client-first lacks n= or r=") };
    if user.is_empty() || nonce.is_empty() || nonce.contains(',') {
        return Err("SCRAM client-first has an empty user or nonce");
    }
    if let Some(a) = authz.strip_prefix("a=") {
        if decode_saslname(a)? != user {
            return Err("SCRAM authorization id must be the user");
        }
    } else if !authz.is_empty() {
        return Err("SCRAM authorization id is malformed");
    }
    Ok(ClientFirst { user, gs2_header: format!("{cb},{authz},"), bare: bare.to_string(), nonce })
}

/// Server state between server-first and client-final.
#[derive(Debug)]
pub struct ScramServer {
    hash: Hash,
    credential: ScramCredential,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    gs2_header: String,
}

impl ScramServer {
    /// Starts an exchange for a known user; returns the server-first message.
    pub fn start(hash: Hash, first: ClientFirst, credential: ScramCredential) -> (ScramServer, Vec<u8>) {
        let nonce = format!("{}{}", first.nonce, B64.encode(random_bytes(24)));
        let server_first = format!("r={nonce},s={},i={}", B64.encode(&credential.salt), credential.iterations);
        let out = server_first.clone().into_bytes();
        (
            ScramServer {
                hash,
                credential,
                client_first_bare: first.bare,
                server_first,
                nonce,
                gs2_header: first.gs2_header,
            },
            out,
        )
    }

    pub fn hash(&self) -> Hash {
        self.hash
    }

    pub fn user(&self) -> &str {
        &self.credential.user
    }

    /// Verifies client-final; on success returns the server-final message.
    pub fn finish(self, token: &[u8]) -> Result<Vec<u8>, &'static str> {
        let text = std::str::from_utf8(token).map_err(|_| "SCRAM message is not UTF-8")?;
        let (without_proof, proof) = text.rsplit_once(",p=").ok_or("SCRAM client-final lacks a proof")?;
        let mut channel = None;
        let mut nonce = None;
        for attr in without_proof.split(',') {
            match attr.split_once('=') {
                Some(("c", v)) => channel = Some(v),
                Some(("r", v)) => nonce = Some(v),
                _ => {}
            }
        }
        if channel != Some(B64.encode(self.gs2_header.as_bytes()).as_str()) {
            return Err("SCRAM channel binding does not match");
        }
        // Kafka checks `endsWith`, not equality: librdkafka before 2.1 sends
        // the client nonce again in front of the server's.
        if !nonce.is_some_and(|n| n.ends_with(self.nonce.as_str())) {
            return Err("SCRAM nonce does not match");
        }
        let proof = B64.decode(proof).map_err(|_| "SCRAM proof is not base64")?;
        let h = self.hash;
        if proof.len() != h.output_bytes() {
            return Err("invalid credentials");
        }
        let auth_message = format!("{},{},{}", self.client_first_bare, self.server_first, without_proof);
        let client_signature = hmac_of(h, &self.credential.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(&client_signature).map(|(a, b)| a ^ b).collect();
        let stored = digest::digest(h.digest_alg(), &client_key);
        if !constant_time_eq(stored.as_ref(), &self.credential.stored_key) {
            return Err("invalid credentials");
        }
        let server_signature = hmac_of(h, &self.credential.server_key, auth_message.as_bytes());
        Ok(format!("v={}", B64.encode(server_signature)).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's SCRAM-SHA-256 example, end to end through the server.
    #[test]
    fn rfc7677_example() {
        let h = Hash::Sha256;
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").expect("salt");
        let salted = salted_password(h, b"pencil", &salt, 4096);
        let cred = credential_from_salted(h, "user", salt, &salted, 4096);
        let first = parse_client_first(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO").expect("first");
        let (mut server, _) = ScramServer::start(h, first, cred);
        // Pin the server nonce to the RFC's so the client proof matches.
        server.nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into();
        server.server_first = format!("r={},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", server.nonce);
        let final_msg = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        let server_final = server.finish(final_msg).expect("valid proof");
        assert_eq!(server_final, b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    #[test]
    fn plain_verifies_against_salted_credential() {
        let c = credential_from_password(Hash::Sha512, "alice", "s3cret", 4096);
        assert!(verify_password(&c, "s3cret"));
        assert!(!verify_password(&c, "s3cret "));
        assert_eq!(parse_plain(b"\0alice\0pw").expect("plain"), ("alice".into(), "pw".into()));
        assert!(parse_plain(b"bob\0alice\0pw").is_err());
        assert!(parse_plain(b"alice\0pw").is_err());
    }

    #[test]
    fn malformed_client_first_is_refused() {
        for bad in [&b""[..], b"p=tls,,n=u,r=x", b"n,,r=x", b"n,,n=u", b"n,,n=u=ZZ,r=x", b"n,a=other,n=u,r=x"] {
            assert!(parse_client_first(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_client_first(b"n,,n=a=2Cb=3D,r=x").expect("ok").user, "a,b=");
    }
}
