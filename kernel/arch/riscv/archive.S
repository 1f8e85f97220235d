/* The boot archive (root task and other files), built by tools/mkarchive.py. */
    .section .boot_archive, "a"
    .balign 4096
    .incbin ARCHIVE_FILE
