// Register names for reports (`parakit create`'s final table, traces): offsets as the 8254x
// manual names them, so "TDT=9612 ICR=9614" reads like the manual.
using ParaKit.Protocols.Nic;

namespace ParaKit.Hypervisor.Devices.E1000;

public static class E1000RegisterNames
{
    /// <summary>Every named register, for the trace registry (one table shared by every card).</summary>
    public static readonly IReadOnlyList<Tracing.TraceRegister> Table = BuildTable();

    private static List<Tracing.TraceRegister> BuildTable()
    {
        uint[] named =
        [
            E1000Reg.Ctrl, E1000Reg.Status, E1000Reg.Eecd, E1000Reg.Eerd, E1000Reg.Mdic, E1000Reg.Icr, E1000Reg.Itr, E1000Reg.Ics,
            E1000Reg.Ims, E1000Reg.Imc, E1000Reg.Rctl, E1000Reg.Tctl, E1000Reg.Tipg, E1000Reg.Rdbal, E1000Reg.Rdbah, E1000Reg.Rdlen,
            E1000Reg.Rdh, E1000Reg.Rdt, E1000Reg.Tdbal, E1000Reg.Tdbah, E1000Reg.Tdlen, E1000Reg.Tdh, E1000Reg.Tdt, E1000Reg.Ral0,
            E1000Reg.Rah0, E1000Reg.Gprc, E1000Reg.Gptc, E1000Reg.Mpc,
        ];
        var list = new List<Tracing.TraceRegister>();
        foreach (uint r in named)
            list.Add(new Tracing.TraceRegister(r, Name(r)));
        return list;
    }

    public static string Name(uint offset) => offset switch
    {
        E1000Reg.Ctrl => "CTRL", E1000Reg.Status => "STATUS", E1000Reg.Eecd => "EECD", E1000Reg.Eerd => "EERD", E1000Reg.Mdic => "MDIC",
        E1000Reg.Icr => "ICR", E1000Reg.Itr => "ITR", E1000Reg.Ics => "ICS", E1000Reg.Ims => "IMS", E1000Reg.Imc => "IMC",
        E1000Reg.Rctl => "RCTL", E1000Reg.Tctl => "TCTL", E1000Reg.Tipg => "TIPG",
        E1000Reg.Rdbal => "RDBAL", E1000Reg.Rdbah => "RDBAH", E1000Reg.Rdlen => "RDLEN", E1000Reg.Rdh => "RDH", E1000Reg.Rdt => "RDT",
        E1000Reg.Tdbal => "TDBAL", E1000Reg.Tdbah => "TDBAH", E1000Reg.Tdlen => "TDLEN", E1000Reg.Tdh => "TDH", E1000Reg.Tdt => "TDT",
        E1000Reg.Ral0 => "RAL0", E1000Reg.Rah0 => "RAH0",
        E1000Reg.Gprc => "GPRC", E1000Reg.Gptc => "GPTC", E1000Reg.Mpc => "MPC",
        >= E1000Reg.Mta and < E1000Reg.Mta + E1000Reg.MtaCount * 4 => "MTA[" + ((offset - E1000Reg.Mta) / 4) + "]",
        >= E1000Reg.StatsStart and < E1000Reg.StatsEnd => $"STAT+0x{offset - E1000Reg.StatsStart:x}",
        _ => $"0x{offset:x}",
    };
}
