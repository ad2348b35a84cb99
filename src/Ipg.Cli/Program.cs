System.Console.WriteLine("ipg: not yet implemented");
