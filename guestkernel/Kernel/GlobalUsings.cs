// The kernel library (and the drivers, network code and protocols compiled with it) sees the
// BCL's System namespace everywhere, as an SDK project with ImplicitUsings would.
global using System;
