//! Local launcher (being written).
