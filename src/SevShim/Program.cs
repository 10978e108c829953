// Placeholder entry point; the composition root replaces it (issue "Shim host side").
return 0;
