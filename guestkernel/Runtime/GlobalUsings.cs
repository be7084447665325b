// Namespaces every runtime file uses.
global using Internal.Runtime;
global using Internal.Runtime.CompilerHelpers;
