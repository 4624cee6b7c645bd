//! TLS for the SSL and SASL_SSL listeners (rustls with the ring provider).
//! The server certificate chain and key come from one PEM file
//! (`ssl.keystore.location`), trusted client CAs from another
//! (`ssl.truststore.location`). Both are re-read when their modification time
//! changes (checked at most once per `RELOAD_CHECK_MS` on accept), so a renewed
//! certificate needs no restart. mTLS principals come from the client
//! certificate's subject in RFC 2253 form, mapped by Kafka's
//! `ssl.principal.mapping.rules`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;

/// How often accepts look at the certificate files' modification times.
const RELOAD_CHECK_MS: u128 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    Requested,
    Required,
}

#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub keystore: PathBuf,
    pub truststore: Option<PathBuf>,
    pub client_auth: ClientAuth,
}

fn mtime(p: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn build(settings: &TlsSettings) -> Result<Arc<ServerConfig>, String> {
    let ks = settings.keystore.display();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&settings.keystore)
        .map_err(|e| format!("ssl.keystore.location {ks}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("ssl.keystore.location {ks}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("ssl.keystore.location {ks}: no certificate"));
    }
    let key = PrivateKeyDer::from_pem_file(&settings.keystore)
        .map_err(|e| format!("ssl.keystore.location {ks}: no private key ({e})"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match (settings.client_auth, &settings.truststore) {
        (ClientAuth::None, _) => builder.with_no_client_auth(),
        (_, None) => return Err("ssl.client.auth needs ssl.truststore.location".into()),
        (auth, Some(ts)) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ts)
                .map_err(|e| format!("ssl.truststore.location {}: {e}", ts.display()))?
            {
                let cert = cert.map_err(|e| format!("ssl.truststore.location {}: {e}", ts.display()))?;
                roots.add(cert).map_err(|e| format!("ssl.truststore.location {}: {e}", ts.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if auth == ClientAuth::Requested { verifier.allow_unauthenticated() } else { verifier };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| format!("ssl.truststore.location: {e}"))?)
        }
    };
    let config = builder.with_single_cert(certs, key).map_err(|e| format!("ssl.keystore.location {ks}: {e}"))?;
    Ok(Arc::new(config))
}

/// The TLS server side with certificate reload.
pub struct TlsServer {
    settings: TlsSettings,
    current: RwLock<(Arc<ServerConfig>, Option<SystemTime>, Option<SystemTime>)>,
    last_check: Mutex<Instant>,
}

impl TlsServer {
    pub fn load(settings: TlsSettings) -> Result<TlsServer, String> {
        let config = build(&settings)?;
        let stamps = (mtime(&settings.keystore), settings.truststore.as_ref().and_then(mtime));
        Ok(TlsServer {
            current: RwLock::new((config, stamps.0, stamps.1)),
            settings,
            last_check: Mutex::new(Instant::now()),
        })
    }

    /// The config for a new connection, reloading the files if they changed.
    /// A file that fails to load keeps the previous config (and is logged).
    pub fn config(&self) -> Arc<ServerConfig> {
        let due = {
            let mut last = self.last_check.lock().unwrap_or_else(|p| p.into_inner());
            let due = last.elapsed().as_millis() >= RELOAD_CHECK_MS;
            if due {
                *last = Instant::now();
            }
            due
        };
        if due {
            let stamps = (mtime(&self.settings.keystore), self.settings.truststore.as_ref().and_then(mtime));
            let changed = {
                let cur = self.current.read().unwrap_or_else(|p| p.into_inner());
                (cur.1, cur.2) != stamps
            };
            if changed {
                match build(&self.settings) {
                    Ok(config) => {
                        tracing::info!(keystore = %self.settings.keystore.display(), "reloaded TLS certificates");
                        *self.current.write().unwrap_or_else(|p| p.into_inner()) = (config, stamps.0, stamps.1);
                    }
                    Err(e) => tracing::warn!(error = %e, "TLS certificate reload failed; keeping the previous ones"),
                }
            }
        }
        self.current.read().unwrap_or_else(|p| p.into_inner()).0.clone()
    }
}

// ---------------------------------------------------------------------------
// Client certificate subject → principal

/// A minimal DER reader: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize), &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn oid_string(bytes: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut value: u64 = 0;
    for b in bytes {
        value = (value << 7) | (b & 0x7f) as u64;
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let (a, c) = if value < 80 { (value / 40, value % 40) } else { (2, value - 80) };
                parts.push(a.to_string());
                parts.push(c.to_string());
            } else {
                parts.push(value.to_string());
            }
            value = 0;
        }
    }
    parts.join(".")
}

fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

fn escape_rfc2253(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The subject of a DER certificate as Java's `X500Principal.getName()`
/// (RFC 2253: most specific RDN first), which is what Kafka maps.
pub fn subject_rfc2253(cert: &[u8]) -> Option<String> {
    let (_, certificate, _) = tlv(cert)?;
    let (_, mut tbs, _) = tlv(certificate)?;
    // Optional explicit [0] version.
    if tbs.first() == Some(&0xa0) {
        tbs = tlv(tbs)?.2;
    }
    let (_, _serial, rest) = tlv(tbs)?;
    let (_, _sig, rest) = tlv(rest)?;
    let (_, _issuer, rest) = tlv(rest)?;
    let (_, _validity, rest) = tlv(rest)?;
    let (tag, mut name, _) = tlv(rest)?;
    if tag != 0x30 {
        return None;
    }
    let mut rdns = Vec::new();
    while !name.is_empty() {
        let (_, mut set, rest) = tlv(name)?;
        name = rest;
        let mut avas = Vec::new();
        while !set.is_empty() {
            let (_, ava, rest) = tlv(set)?;
            set = rest;
            let (_, oid, value_tlv) = tlv(ava)?;
            let (vtag, value, _) = tlv(value_tlv)?;
            let oid = oid_string(oid);
            let text = match (short_name(&oid), vtag) {
                // UTF8String, PrintableString, IA5String, TeletexString (as Latin-1-ish UTF-8)
                (Some(short), 0x0c | 0x13 | 0x16 | 0x14) => {
                    format!("{short}={}", escape_rfc2253(&String::from_utf8_lossy(value)))
                }
                // Other attributes: the dotted OID and the DER value in hex, as Java prints them.
                _ => {
                    let hex: String = value_tlv.iter().map(|b| format!("{b:02x}")).collect();
                    format!("{oid}=#{hex}")
                }
            };
            avas.push(text);
        }
        rdns.push(avas.join("+"));
    }
    rdns.reverse();
    Some(rdns.join(","))
}

/// One of Kafka's `ssl.principal.mapping.rules`.
#[derive(Debug)]
pub enum MappingRule {
    Default,
    Rule { pattern: regex::Regex, replacement: String, case: Option<char> },
}

/// Parses `RULE:pattern/replacement/[LU]` entries and `DEFAULT`, comma separated.
pub fn parse_mapping_rules(spec: &str) -> Result<Vec<MappingRule>, String> {
    let mut rules = Vec::new();
    let mut rest = spec.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("DEFAULT") {
            rules.push(MappingRule::Default);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("RULE:") {
            // pattern/replacement/flags, where "\/" escapes a slash.
            let mut fields = Vec::new();
            let mut cur = String::new();
            let mut chars = r.char_indices().peekable();
            let mut end = r.len();
            while let Some((i, c)) = chars.next() {
                if c == '\\' && chars.peek().map(|x| x.1) == Some('/') {
                    cur.push('/');
                    chars.next();
                } else if c == '/' {
                    fields.push(std::mem::take(&mut cur));
                    if fields.len() == 2 {
                        end = i + 1;
                        break;
                    }
                } else {
                    cur.push(c);
                }
            }
            if fields.len() != 2 {
                return Err(format!("ssl.principal.mapping.rules: malformed rule in {spec:?}"));
            }
            let mut tail = &r[end..];
            let case = match tail.chars().next() {
                Some(c @ ('L' | 'U')) => {
                    tail = &tail[1..];
                    Some(c)
                }
                _ => None,
            };
            let pattern = regex::Regex::new(&format!("^(?:{})$", fields[0]))
                .map_err(|e| format!("ssl.principal.mapping.rules: bad pattern {:?}: {e}", fields[0]))?;
            rules.push(MappingRule::Rule { pattern, replacement: fields[1].clone(), case });
            rest = tail;
        } else {
            return Err(format!("ssl.principal.mapping.rules: cannot parse {rest:?}"));
        }
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.is_empty() {
            return Err(format!("ssl.principal.mapping.rules: expected ',' before {rest:?}"));
        }
    }
    if rules.is_empty() {
        rules.push(MappingRule::Default);
    }
    Ok(rules)
}

/// The principal name for a subject: the first rule that matches; no match
/// fails authentication, as in Kafka.
pub fn map_subject(rules: &[MappingRule], dn: &str) -> Option<String> {
    for rule in rules {
        match rule {
            MappingRule::Default => return Some(dn.to_string()),
            MappingRule::Rule { pattern, replacement, case } => {
                if let Some(caps) = pattern.captures(dn) {
                    let mut out = String::new();
                    caps.expand(replacement, &mut out);
                    return Some(match case {
                        Some('L') => out.to_lowercase(),
                        Some('U') => out.to_uppercase(),
                        _ => out,
                    });
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_rules_follow_kafka() {
        let rules = parse_mapping_rules(
            r"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L, DEFAULT",
        )
        .expect("rules");
        assert_eq!(map_subject(&rules, "CN=kafka-svc,OU=ServiceUsers,O=Org").as_deref(), Some("kafka-svc"));
        assert_eq!(map_subject(&rules, "CN=Duke,OU=JavaSoft,O=Sun,L=SC,ST=CA,C=US").as_deref(), Some("duke@javasoft"));
        assert_eq!(map_subject(&rules, "CN=x").as_deref(), Some("CN=x"));
        let strict = parse_mapping_rules(r"RULE:^CN=([a-z]+)$/$1/U").expect("rule");
        assert_eq!(map_subject(&strict, "CN=abc").as_deref(), Some("ABC"));
        assert_eq!(map_subject(&strict, "CN=abc,O=x"), None);
        assert!(parse_mapping_rules("RULE:nope").is_err());
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_rfc2253("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape_rfc2253(" #x "), "\\ #x\\ ");
        assert_eq!(oid_string(&[0x55, 0x04, 0x03]), "2.5.4.3");
    }
}
