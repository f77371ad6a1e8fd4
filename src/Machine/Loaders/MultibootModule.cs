namespace JitVirt.Machine.Loaders;

/// <summary>A boot module as placed in guest memory: [Start, End) and its string (Multiboot §3.3, mods_addr).</summary>
public sealed record MultibootModule(uint Start, uint End, string CommandLine);
