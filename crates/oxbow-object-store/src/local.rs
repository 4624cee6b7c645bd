//! Objects as files in a local directory, fanned out into 256 subdirectories.
//! Durability: write to a temporary file, fsync it, rename into place, fsync
//! the directory. A crash leaves either no object or the whole object; stray
//! temporary files are removed at open.

use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use bytes::Bytes;

use crate::{validate_key, ObjectMeta, ObjectStore, ObjectStoreError};

const TMP_SUFFIX: &str = ".tmp";

#[derive(Debug, Clone)]
pub struct LocalDirStore {
    root: PathBuf,
}

fn io_err(key: &str) -> impl FnOnce(std::io::Error) -> ObjectStoreError + '_ {
    move |source| ObjectStoreError::Io { key: key.to_string(), source }
}

fn fanout(key: &str) -> String {
    // FNV-1a over the key: spreads sequential keys over the subdirectories.
    let mut h: u32 = 0x811c9dc5;
    for b in key.bytes() {
        h = (h ^ b as u32).wrapping_mul(0x01000193);
    }
    format!("{:02x}", h & 0xff)
}

impl LocalDirStore {
    /// Opens (creating if needed) the store rooted at `root`, and checks that it is writable.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, ObjectStoreError> {
        let root = root.into();
        let root_key = root.display().to_string();
        std::fs::create_dir_all(&root).map_err(io_err(&root_key))?;
        let probe = root.join(format!(".write-probe{TMP_SUFFIX}"));
        std::fs::write(&probe, b"probe").map_err(io_err(&root_key))?;
        std::fs::remove_file(&probe).map_err(io_err(&root_key))?;
        let store = LocalDirStore { root };
        store.remove_stray_temporaries();
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> PathBuf {
        self.root.join(fanout(key)).join(key)
    }

    fn remove_stray_temporaries(&self) {
        let Ok(dirs) = std::fs::read_dir(&self.root) else { return };
        for dir in dirs.flatten() {
            let Ok(files) = std::fs::read_dir(dir.path()) else { continue };
            for f in files.flatten() {
                if f.file_name().to_string_lossy().ends_with(TMP_SUFFIX) {
                    let _ = std::fs::remove_file(f.path());
                }
            }
        }
    }

    fn put_blocking(&self, key: &str, data: &[u8]) -> Result<(), ObjectStoreError> {
        let path = self.path_of(key);
        let dir = path.parent().expect("object path has a parent").to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io_err(key))?;
        let tmp = dir.join(format!("{key}{TMP_SUFFIX}"));
        let mut f = std::fs::File::create(&tmp).map_err(io_err(key))?;
        f.write_all(data).map_err(io_err(key))?;
        f.sync_all().map_err(io_err(key))?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(io_err(key))?;
        std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(io_err(key))?;
        Ok(())
    }

    fn get_range_blocking(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes, ObjectStoreError> {
        let path = self.path_of(key);
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ObjectStoreError::NotFound(key.to_string()))
            }
            Err(e) => return Err(io_err(key)(e)),
        };
        let size = f.metadata().map_err(io_err(key))?.len();
        let range = range.unwrap_or(0..size);
        if range.start > range.end || range.end > size {
            return Err(ObjectStoreError::BadRange { key: key.to_string(), start: range.start, end: range.end, size });
        }
        f.seek(SeekFrom::Start(range.start)).map_err(io_err(key))?;
        let mut buf = vec![0u8; (range.end - range.start) as usize];
        f.read_exact(&mut buf).map_err(io_err(key))?;
        Ok(Bytes::from(buf))
    }

    fn list_blocking(&self) -> Result<Vec<ObjectMeta>, ObjectStoreError> {
        let root_key = self.root.display().to_string();
        let mut out = Vec::new();
        for dir in std::fs::read_dir(&self.root).map_err(io_err(&root_key))?.flatten() {
            if !dir.path().is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir.path()).map_err(io_err(&root_key))?.flatten() {
                let name = f.file_name().to_string_lossy().to_string();
                if name.ends_with(TMP_SUFFIX) || validate_key(&name).is_err() {
                    continue;
                }
                let Ok(meta) = f.metadata() else { continue };
                let modified_ms = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                out.push(ObjectMeta { key: name, size_bytes: meta.len(), modified_ms });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ObjectStoreError> + Send + 'static,
) -> Result<T, ObjectStoreError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(ObjectStoreError::Io { key: String::new(), source: std::io::Error::other(e.to_string()) })
    })
}

#[async_trait]
impl ObjectStore for LocalDirStore {
    async fn put(&self, key: &str, data: Bytes) -> Result<(), ObjectStoreError> {
        validate_key(key)?;
        let (this, key) = (self.clone(), key.to_string());
        blocking(move || this.put_blocking(&key, &data)).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, ObjectStoreError> {
        validate_key(key)?;
        let (this, key) = (self.clone(), key.to_string());
        blocking(move || this.get_range_blocking(&key, None)).await
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, ObjectStoreError> {
        validate_key(key)?;
        let (this, key) = (self.clone(), key.to_string());
        blocking(move || this.get_range_blocking(&key, Some(range))).await
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectStoreError> {
        validate_key(key)?;
        let path = self.path_of(key);
        let key = key.to_string();
        blocking(move || match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&key)(e)),
        })
        .await
    }

    async fn list(&self) -> Result<Vec<ObjectMeta>, ObjectStoreError> {
        let this = self.clone();
        blocking(move || this.list_blocking()).await
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn local_dir_store_conforms() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = super::LocalDirStore::open(dir.path()).expect("open");
        crate::conformance::run_all(&store).await;
    }
}
