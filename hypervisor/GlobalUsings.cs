// Namespaces every hypervisor file uses (the shared build settings turn implicit usings off).
global using System;
global using System.Collections.Generic;
global using System.IO;
global using System.Linq;
global using System.Threading;
