//! Finding a Japanese font on the machine for the PDF. The one place this crate reads files: the
//! renderers take the font's bytes. Fonts come from Debian packages (none is shipped with mdsec);
//! only the glyphs the page uses are embedded (krilla subsets the font).

use crate::error::ReportError;
use skrifa::{FontRef, MetadataProvider};
use std::path::{Path, PathBuf};

/// Names a font file to use instead of the well-known paths.
pub const FONT_ENV: &str = "MDSEC_REPORT_FONT";

/// Well-known paths of Japanese Gothic fonts in Debian packages, preferred first:
/// fonts-ipaexfont-gothic, the fonts-japanese-gothic alternative, fonts-ipafont-gothic,
/// fonts-noto-cjk (collection; index 0 is Japanese), fonts-takao-gothic, then Mincho as a last resort.
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf",
    "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-mincho.ttf",
];

/// Characters the font must have for the report to be readable.
const PROBE: &str = "医療機器あア点０";

/// A font file's bytes and the face to use within it.
#[derive(Clone)]
pub struct FontFile {
    pub path: PathBuf,
    pub data: Vec<u8>,
    pub index: u32,
}

impl std::fmt::Debug for FontFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontFile")
            .field("path", &self.path)
            .field("bytes", &self.data.len())
            .field("index", &self.index)
            .finish()
    }
}

impl FontFile {
    /// Check that `data` is a font with Japanese glyphs.
    pub fn from_bytes(path: &Path, data: Vec<u8>) -> Result<FontFile, ReportError> {
        let bad = |reason: String| ReportError::BadFont {
            path: path.to_path_buf(),
            reason,
        };
        let font = FontRef::from_index(&data, 0).map_err(|e| bad(format!("cannot parse: {e}")))?;
        let charmap = font.charmap();
        let missing: String = PROBE
            .chars()
            .filter(|c| charmap.map(*c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(bad(format!("no glyphs for {missing}")));
        }
        Ok(FontFile {
            path: path.to_path_buf(),
            data,
            index: 0,
        })
    }
}

/// The font for the PDF: `MDSEC_REPORT_FONT` if set (and then only that file), else the first
/// usable file of [`FONT_CANDIDATES`].
pub fn find_font() -> Result<FontFile, ReportError> {
    let env = std::env::var_os(FONT_ENV).filter(|v| !v.is_empty());
    let candidates: Vec<PathBuf> = FONT_CANDIDATES.iter().map(PathBuf::from).collect();
    find_font_in(env.map(PathBuf::from), &candidates)
}

pub fn find_font_in(
    override_path: Option<PathBuf>,
    candidates: &[PathBuf],
) -> Result<FontFile, ReportError> {
    if let Some(p) = override_path {
        let data = std::fs::read(&p).map_err(|e| ReportError::BadFont {
            path: p.clone(),
            reason: format!("cannot read it: {e}"),
        })?;
        return FontFile::from_bytes(&p, data);
    }
    for p in candidates {
        if let Ok(data) = std::fs::read(p) {
            if let Ok(f) = FontFile::from_bytes(p, data) {
                return Ok(f);
            }
        }
    }
    Err(ReportError::NoFont {
        tried: candidates.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fonts_are_named_with_the_package_to_install() {
        let err = find_font_in(
            None,
            &[
                PathBuf::from("/nonexistent/a.ttf"),
                PathBuf::from("/nonexistent/b.ttc"),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("/nonexistent/a.ttf") && err.contains("/nonexistent/b.ttc"),
            "{err}"
        );
        assert!(err.contains("fonts-ipaexfont"), "{err}");
        assert!(err.contains(FONT_ENV), "{err}");
    }

    #[test]
    fn an_override_that_is_not_a_font_is_refused() {
        let dir = std::env::temp_dir().join(format!("mdsec-report-font-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("not-a-font.ttf");
        std::fs::write(&p, b"hello").unwrap();
        let err = find_font_in(Some(p.clone()), &[]).unwrap_err().to_string();
        assert!(
            err.contains("not-a-font.ttf") && err.contains("cannot parse"),
            "{err}"
        );
        let err = find_font_in(Some(dir.join("missing.ttf")), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
