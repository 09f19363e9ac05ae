//! Files kept in the database in chunks: written as their bytes arrive (uploads,
//! exports), read back chunk by chunk (downloads, imports).

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Services;
use crate::domain::export::{FILE_CHUNK, StoredFile};
use crate::domain::{new_id, now};
use crate::error::Result;

/// A file being written: full chunks go to the store as soon as they fill.
pub struct FileWriter {
    file: StoredFile,
    seq: i64,
    pending: Vec<u8>,
    hasher: Sha256,
}

impl FileWriter {
    pub fn size(&self) -> i64 {
        self.file.size
    }

    pub async fn push(&mut self, s: &Services, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.file.size += bytes.len() as i64;
        self.pending.extend_from_slice(bytes);
        while self.pending.len() >= FILE_CHUNK {
            let rest = self.pending.split_off(FILE_CHUNK);
            s.store.put_chunk(self.file.id, self.seq, &self.pending).await?;
            self.seq += 1;
            self.pending = rest;
        }
        Ok(())
    }

    pub async fn finish(mut self, s: &Services) -> Result<StoredFile> {
        if !self.pending.is_empty() {
            s.store.put_chunk(self.file.id, self.seq, &self.pending).await?;
        }
        let sha = hex::encode(self.hasher.finalize());
        s.store.complete_file(self.file.id, self.file.size, &sha).await?;
        self.file.sha256 = Some(sha);
        self.file.complete = true;
        Ok(self.file)
    }

    /// Gives up: the chunks written so far are removed.
    pub async fn abort(self, s: &Services) -> Result<()> {
        s.store.delete_file(self.file.id).await
    }
}

impl Services {
    pub async fn new_file(&self, name: &str, content_type: &str, created_by: Option<Uuid>) -> Result<FileWriter> {
        let file = StoredFile {
            id: new_id(),
            name: name.to_owned(),
            content_type: content_type.to_owned(),
            size: 0,
            sha256: None,
            complete: false,
            created_by,
            created_at: now(),
        };
        self.store.create_file(&file).await?;
        Ok(FileWriter { file, seq: 0, pending: Vec::new(), hasher: Sha256::new() })
    }

    /// Stores a whole file from an iterator of byte blocks.
    pub async fn store_file<I>(
        &self,
        name: &str,
        content_type: &str,
        created_by: Option<Uuid>,
        chunks: I,
    ) -> Result<StoredFile>
    where
        I: IntoIterator<Item = std::io::Result<Vec<u8>>>,
    {
        let mut w = self.new_file(name, content_type, created_by).await?;
        for part in chunks {
            match part {
                Ok(p) => w.push(self, &p).await?,
                Err(e) => {
                    w.abort(self).await?;
                    return Err(crate::Error::invalid("file", format!("could not be read: {e}")));
                }
            }
        }
        w.finish(self).await
    }

    /// A chunk of a stored file (downloads stream them one by one).
    pub async fn file_chunk(&self, file_id: Uuid, seq: i64) -> Result<Option<Vec<u8>>> {
        self.store.get_chunk(file_id, seq).await
    }
}
