// What C# records compile to besides EqualityComparer<T>.Default (Collections/Comparers.cs)
// and StringBuilder (Text/StringBuilder.cs): a stack-depth check.
using System.Runtime.CompilerServices;

