using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("JitVirt.IlJit.Tests")]
