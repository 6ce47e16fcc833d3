//! Pre-flight for legacy `.xls` (BIFF in an OLE compound file).
//!
//! calamine materialises every sheet of an xls densely when the workbook is opened, and reserves
//! memory from the sheet's DIMENSIONS record as written. A 1 KB file declaring a huge or inverted
//! range would make it allocate gigabytes (or abort). So before calamine sees the bytes we read the
//! compound file ourselves, walk the BIFF records of the workbook stream, and reject sheets whose
//! declared or actual cell range is larger than [`MAX_XLS_DENSE_CELLS`]. Reading is bounded by the
//! file: every sector chain is cut at the number of sectors the file can hold.

use mdsec_format_core::{FormatError, Position};

/// Cells (rows × columns of the used range) an xls sheet may span. calamine keeps each as a
/// 32-byte value, so this bounds one sheet to ~128 MB.
pub const MAX_XLS_DENSE_CELLS: u64 = 4_000_000;

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

fn bad(msg: impl Into<String>) -> FormatError {
    FormatError::new(
        format!("not a readable xls workbook: {}", msg.into()),
        Position::default(),
    )
}

struct Cfb<'a> {
    data: &'a [u8],
    sector_size: usize,
    fat: Vec<u32>,
}

impl<'a> Cfb<'a> {
    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let start = (id as usize)
            .checked_add(1)?
            .checked_mul(self.sector_size)?;
        let end = start.checked_add(self.sector_size)?.min(self.data.len());
        self.data.get(start..end)
    }

    fn max_sectors(&self) -> usize {
        self.data.len() / self.sector_size + 1
    }

    /// Concatenate a chain of sectors following `next` (FAT or mini FAT), never more than `max` steps.
    fn chain(
        &self,
        start: u32,
        next: &[u32],
        max: usize,
        read: impl Fn(u32) -> Option<&'a [u8]>,
    ) -> Result<Vec<u8>, FormatError> {
        let mut out = Vec::new();
        let mut id = start;
        let mut steps = 0usize;
        while id != END_OF_CHAIN {
            steps += 1;
            if steps > max {
                return Err(bad("sector chain loops"));
            }
            out.extend_from_slice(
                read(id)
                    .ok_or_else(|| bad(format!("sector {id} is outside the file (truncated?)")))?,
            );
            id = *next
                .get(id as usize)
                .ok_or_else(|| bad(format!("sector {id} has no allocation entry")))?;
        }
        Ok(out)
    }

    fn parse(data: &'a [u8]) -> Result<(Self, Vec<u8>), FormatError> {
        if data.len() < 512 || !data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
        {
            return Err(bad("compound-file header is truncated"));
        }
        let shift = u16_at(data, 0x1E).unwrap_or(0);
        if shift != 9 && shift != 12 {
            return Err(bad(format!("sector size 2^{shift} is not 512 or 4096")));
        }
        let mut cfb = Cfb {
            data,
            sector_size: 1 << shift,
            fat: Vec::new(),
        };
        let max = cfb.max_sectors();
        // The FAT's own sector ids: 109 in the header, the rest in a chain of DIFAT sectors.
        let mut fat_sectors: Vec<u32> = (0..109)
            .filter_map(|i| u32_at(data, 0x4C + i * 4))
            .filter(|&s| s < 0xFFFF_FFFA)
            .collect();
        let mut difat = u32_at(data, 0x44).unwrap_or(END_OF_CHAIN);
        let per = cfb.sector_size / 4 - 1;
        let mut steps = 0;
        while difat < 0xFFFF_FFFA {
            steps += 1;
            if steps > max {
                return Err(bad("DIFAT chain loops"));
            }
            let s = cfb
                .sector(difat)
                .ok_or_else(|| bad("DIFAT sector outside the file"))?;
            fat_sectors.extend(
                (0..per)
                    .filter_map(|i| u32_at(s, i * 4))
                    .filter(|&x| x < 0xFFFF_FFFA),
            );
            difat = u32_at(s, per * 4).unwrap_or(END_OF_CHAIN);
        }
        if fat_sectors.len() > max {
            return Err(bad("more allocation sectors than the file holds"));
        }
        let mut fat = Vec::with_capacity(fat_sectors.len() * cfb.sector_size / 4);
        for id in fat_sectors {
            let s = cfb
                .sector(id)
                .ok_or_else(|| bad("allocation sector outside the file (truncated?)"))?;
            fat.extend(s.chunks_exact(4).filter_map(|c| u32_at(c, 0)));
        }
        cfb.fat = fat;
        let dir = cfb.chain(
            u32_at(data, 0x30).unwrap_or(END_OF_CHAIN),
            &cfb.fat,
            max,
            |id| cfb.sector(id),
        )?;
        let workbook = cfb.workbook_stream(&dir)?;
        Ok((cfb, workbook))
    }

    fn workbook_stream(&self, dir: &[u8]) -> Result<Vec<u8>, FormatError> {
        let major = u16_at(self.data, 0x1A).unwrap_or(3);
        let size_of = |e: &[u8]| -> u64 {
            let lo = u32_at(e, 120).unwrap_or(0) as u64;
            let hi = if major >= 4 {
                u32_at(e, 124).unwrap_or(0) as u64
            } else {
                0
            };
            lo | hi << 32
        };
        let root = dir.get(..128).ok_or_else(|| bad("empty directory"))?;
        let named = |e: &[u8], want: &str| {
            let len = u16_at(e, 64).unwrap_or(0) as usize;
            let name: Vec<u16> = e
                .get(..len.min(64))
                .unwrap_or(&[])
                .chunks_exact(2)
                .filter_map(|c| u16_at(c, 0))
                .collect();
            String::from_utf16_lossy(&name)
                .trim_end_matches('\0')
                .eq_ignore_ascii_case(want)
        };
        // Password-protected xlsx files are compound files holding an EncryptedPackage stream.
        if dir.chunks_exact(128).any(|e| named(e, "EncryptedPackage")) {
            return Err(FormatError::new(
                "the workbook is password-protected; save a copy without a password and import that",
                Position::default(),
            ));
        }
        let entry = dir
            .chunks_exact(128)
            .find(|e| e.get(66) == Some(&2) && (named(e, "Workbook") || named(e, "Book")))
            .ok_or_else(|| bad("no Workbook stream"))?;
        let start = u32_at(entry, 116).unwrap_or(END_OF_CHAIN);
        let size = size_of(entry);
        if size > self.data.len() as u64 {
            return Err(bad("Workbook stream is larger than the file"));
        }
        let cutoff = u32_at(self.data, 0x38).unwrap_or(4096) as u64;
        let max = self.max_sectors();
        let mut stream = if size < cutoff {
            // Small streams live in 64-byte mini sectors inside the root entry's stream.
            let minifat_bytes = self.chain(
                u32_at(self.data, 0x3C).unwrap_or(END_OF_CHAIN),
                &self.fat,
                max,
                |id| self.sector(id),
            )?;
            let minifat: Vec<u32> = minifat_bytes
                .chunks_exact(4)
                .filter_map(|c| u32_at(c, 0))
                .collect();
            let ministream = self.chain(
                u32_at(root, 116).unwrap_or(END_OF_CHAIN),
                &self.fat,
                max,
                |id| self.sector(id),
            )?;
            let mini_max = ministream.len() / 64 + 1;
            let mini = |id: u32| -> Option<&[u8]> {
                let s = (id as usize).checked_mul(64)?;
                ministream.get(s..s.checked_add(64)?.min(ministream.len()))
            };
            let mut out = Vec::new();
            let mut id = start;
            let mut steps = 0;
            while id != END_OF_CHAIN {
                steps += 1;
                if steps > mini_max {
                    return Err(bad("mini sector chain loops"));
                }
                out.extend_from_slice(
                    mini(id).ok_or_else(|| bad("mini sector outside the mini stream"))?,
                );
                id = *minifat
                    .get(id as usize)
                    .ok_or_else(|| bad("mini sector has no allocation entry"))?;
            }
            out
        } else {
            self.chain(start, &self.fat, max, |id| self.sector(id))?
        };
        stream.truncate(size as usize);
        Ok(stream)
    }
}

#[derive(Default)]
struct Bounds {
    min: (u32, u32),
    max: (u32, u32),
    any: bool,
}

impl Bounds {
    fn add(&mut self, r: u32, c: u32) {
        if self.any {
            self.min = (self.min.0.min(r), self.min.1.min(c));
            self.max = (self.max.0.max(r), self.max.1.max(c));
        } else {
            *self = Bounds {
                min: (r, c),
                max: (r, c),
                any: true,
            };
        }
    }
    fn area(&self) -> u64 {
        if !self.any {
            return 0;
        }
        (self.max.0 - self.min.0 + 1) as u64 * (self.max.1 - self.min.1 + 1) as u64
    }
}

fn too_big(sheet: usize, what: &str, rows: u64, cols: u64) -> FormatError {
    FormatError::new(
        format!(
            "xls sheet {sheet} {what} spans {rows} rows × {cols} columns, over the limit of {MAX_XLS_DENSE_CELLS} cells"
        ),
        Position { path: Some(format!("sheet #{sheet}")), ..Default::default() },
    )
}

/// Walk the BIFF records and reject sheets calamine could not hold (see the module doc).
pub fn check(data: &[u8]) -> Result<(), FormatError> {
    let (_, stream) = Cfb::parse(data)?;
    let mut pos = 0usize;
    let mut depth = 0u32;
    let mut substream = 0usize;
    let mut bounds = Bounds::default();
    while let (Some(typ), Some(len)) = (u16_at(&stream, pos), u16_at(&stream, pos + 2)) {
        let body = stream.get(pos + 4..pos + 4 + len as usize).unwrap_or(&[]);
        pos += 4 + len as usize;
        match typ {
            0x0809 => {
                if depth == 0 {
                    substream += 1;
                    bounds = Bounds::default();
                }
                depth += 1;
            }
            0x000A => {
                depth = depth.saturating_sub(1);
                if depth == 0 && bounds.area() > MAX_XLS_DENSE_CELLS {
                    let rows = (bounds.max.0 - bounds.min.0 + 1) as u64;
                    let cols = (bounds.max.1 - bounds.min.1 + 1) as u64;
                    return Err(too_big(substream - 1, "used range", rows, cols));
                }
            }
            0x0200 => {
                let (rf, rl, cf, cl) = match body.len() {
                    10 => (
                        u16_at(body, 0).unwrap_or(0) as u64,
                        u16_at(body, 2).unwrap_or(0) as u64,
                        u16_at(body, 4).unwrap_or(0) as u64,
                        u16_at(body, 6).unwrap_or(0) as u64,
                    ),
                    14 | 16 => (
                        u32_at(body, 0).unwrap_or(0) as u64,
                        u32_at(body, 4).unwrap_or(0) as u64,
                        u16_at(body, 8).unwrap_or(0) as u64,
                        u16_at(body, 10).unwrap_or(0) as u64,
                    ),
                    _ => continue,
                };
                if rl >= 1 && cl >= 1 {
                    if rf > rl - 1 {
                        return Err(bad(format!(
                            "sheet {} declares rows {rf}..{rl}",
                            substream.saturating_sub(1)
                        )));
                    }
                    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
                    let (rows, cols) = (rl - rf, cl - cf);
                    if rows.saturating_mul(cols) > MAX_XLS_DENSE_CELLS {
                        return Err(too_big(
                            substream.saturating_sub(1),
                            "declared range",
                            rows,
                            cols,
                        ));
                    }
                }
            }
            // Cells calamine keeps: Formula, Number, Label, RString, BoolErr, RK, LabelSst.
            0x0006 | 0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                if let (Some(r), Some(c)) = (u16_at(body, 0), u16_at(body, 2)) {
                    bounds.add(r as u32, c as u32);
                }
            }
            // MulRk: row, first column, …, last column.
            0x00BD => {
                if let (Some(r), Some(c0), Some(c1)) = (
                    u16_at(body, 0),
                    u16_at(body, 2),
                    u16_at(body, body.len().saturating_sub(2)),
                ) {
                    bounds.add(r as u32, c0 as u32);
                    bounds.add(r as u32, c1.max(c0) as u32);
                }
            }
            _ => {}
        }
    }
    if bounds.area() > MAX_XLS_DENSE_CELLS {
        let rows = (bounds.max.0 - bounds.min.0 + 1) as u64;
        let cols = (bounds.max.1 - bounds.min.1 + 1) as u64;
        return Err(too_big(
            substream.saturating_sub(1),
            "used range",
            rows,
            cols,
        ));
    }
    Ok(())
}
