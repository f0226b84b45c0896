"""The recipients' portal: the pages a share link opens (access code, file list, download,
upload back), beside the staff side in shares/."""
