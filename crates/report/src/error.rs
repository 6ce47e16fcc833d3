use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "no Japanese font found for the PDF report; tried: {}. Install the Debian package \
         fonts-ipaexfont (or fonts-noto-cjk), or set MDSEC_REPORT_FONT to a TrueType/OpenType file \
         with Japanese glyphs",
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NoFont { tried: Vec<PathBuf> },
    #[error("{path}: not a usable Japanese font ({reason}); set MDSEC_REPORT_FONT to a TrueType/OpenType file with Japanese glyphs, or unset it")]
    BadFont { path: PathBuf, reason: String },
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
}
