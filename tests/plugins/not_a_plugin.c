/* A shared object without bpframe's entry symbol: the loader must say it
 * is not a bpframe plugin and name the missing symbol. */
int not_a_plugin_answer (void);

int
not_a_plugin_answer (void)
{
  return 42;
}
