//! Deadlines across restarts: placeholder, filled below.
