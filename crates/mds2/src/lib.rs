//! MDS2 (HN 1-2019) manufacturer disclosure forms to a device-model security profile.
