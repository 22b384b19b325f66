// The longitudinal model of bayes_scot.builders.longitudinal.LongitudinalModel, written
// for Stan to benchmark the package's samplers against (benchmarks/).
//
// State: each endpoint's change from baseline in each arm at each visit (baseline first,
// where it is zero) and its baseline level; every published number the model uses is a
// linear function of the state, and those linear maps are data computed by the package.
//
// Control arm (endpoint SDs): piecewise linear, a least-squares slope over the reference
// window plus a detrended random walk on the slopes, or a random walk on the levels.
// Treatment effect at the reference visit: theta_e = m_e + k_e u_e with the named prior
// (m_e, k_e) as data; u_e = sqrt(omega) z_0 + sqrt(1 - omega) z_e for endpoints in the
// hierarchy, u_e = z_e otherwise, omega ~ Beta(a, b). Over time the effect is linear in
// time (profile t / t_ref) or constant, plus a random walk over the follow-up visits
// pinned to zero at the reference visit for endpoints whose shape is a random walk.
//
// Evidence: independent normal summaries; per-arm vectors of visit means, multivariate
// normal with within-patient correlation rho (AR(1) in years or compound symmetry) and
// the visits' patient overlap; external estimates discounted by a power prior or a
// robust mixture. Parameter names are the package's.

functions {
  // [0, cumulative sums of x's columns] along each row.
  matrix running_sum(matrix x) {
    matrix[rows(x), cols(x) + 1] out;
    out[:, 1] = rep_vector(0, rows(x));
    for (j in 1:cols(x)) {
      out[:, j + 1] = out[:, j] + x[:, j];
    }
    return out;
  }

  matrix visit_correlation(vector years, real rho, int compound_symmetry) {
    int k = rows(years);
    matrix[k, k] c;
    for (i in 1:k) {
      c[i, i] = 1;
      for (j in (i + 1):k) {
        c[i, j] = compound_symmetry ? rho : pow(rho, abs(years[i] - years[j]));
        c[j, i] = c[i, j];
      }
    }
    return c;
  }
}

data {
  int<lower=1> E;                       // endpoints
  int<lower=2> V;                       // visits, baseline first
  vector[V] years;                      // visit times in years
  vector[V] slope_weights;              // least-squares slope over the reference window
  int<lower=1, upper=V - 1> ref;        // the reference visit among the follow-up visits
  vector[E] scale;                      // standardising SDs
  vector[E] sign;                       // +1 when higher is better
  int<lower=0, upper=1> piecewise_linear;
  real<lower=0> control_slope_sd;
  real<lower=0> trajectory_sd;
  real<lower=0> baseline_prior_sd;

  vector[E] effect_prior_mean;          // the named prior of each endpoint's theta
  vector<lower=0>[E] effect_prior_sd;
  int<lower=0, upper=1> pooled;         // any endpoints in the hierarchy
  vector[E] in_pool;
  real<lower=0> pooling_a;
  real<lower=0> pooling_b;
  matrix[E, V - 1] effect_profile;      // t / t_ref (linear) or 1
  int<lower=0> W;                       // endpoints whose effect walks over visits
  matrix[E, W] walk_select;
  real<lower=0> visit_pooling_sd;

  int<lower=0> S;                       // state size, 2 E V + E
  int<lower=0> n_summaries;
  matrix[n_summaries, S] summary_map;
  vector[n_summaries] summary_observed;
  vector<lower=0>[n_summaries] summary_se;

  int<lower=0> n_groups;                // per-arm vectors of visit means
  int<lower=0> n_vector;                // their rows, group after group
  array[n_groups] int<lower=1> group_start;
  array[n_groups] int<lower=1> group_size;
  array[n_groups] int<lower=1, upper=E> group_endpoint;
  matrix[n_vector, S] vector_map;
  vector[n_vector] vector_observed;
  vector<lower=0>[n_vector] vector_se;
  vector[n_vector] vector_years;
  matrix[n_vector, n_vector] vector_overlap;  // block diagonal over the groups
  int<lower=0, upper=1> compound_symmetry;
  real<lower=0> rho_a;
  real<lower=0> rho_b;
  real<lower=0, upper=1> rho_fixed;     // 1: every rho is rho_fixed_value
  real<lower=0, upper=1> rho_fixed_value;

  int<lower=0> n_external;
  matrix[n_external, S] external_map;
  vector[n_external] external_observed;
  vector<lower=0>[n_external] external_se;
  vector<lower=0, upper=1>[n_external] external_weight;
  int<lower=0, upper=1> mixture;        // 0: power prior, 1: robust mixture
  vector<lower=0>[n_external] external_vague_se;
}

transformed data {
  vector[V - 1] dt = (years[2:V] - years[1:(V - 1)]);
  int walks = W > 0 && V > 2;
}

parameters {
  array[piecewise_linear] vector[E] control_slope;
  array[piecewise_linear] matrix[E, V - 1] control_slope_innovation;
  array[1 - piecewise_linear] matrix[E, V - 1] control_level_innovation;
  vector[E] endpoint_effect_innovation;
  array[pooled] real<lower=0, upper=1> endpoint_correlation;
  array[pooled] real common_effect_innovation;
  array[walks] matrix[W, V - 2] effect_visit_innovation;
  vector[E] baseline;
  array[n_groups > 0 ? E : 0] real<lower=0, upper=1> rho;
}

transformed parameters {
  vector[S] state;
  {
    matrix[E, V] control;
    if (piecewise_linear) {
      matrix[E, V - 1] slopes;
      for (e in 1:E) {
        slopes[e] = cumulative_sum(trajectory_sd * sqrt(dt)'
                                   .* control_slope_innovation[1][e]);
      }
      matrix[E, V] shape = running_sum(slopes .* rep_matrix(dt', E));
      control = control_slope[1] * years' + shape
                - (shape * slope_weights) * years';
    } else {
      control = running_sum(trajectory_sd * control_level_innovation[1]
                            .* rep_matrix(sqrt(dt)', E));
    }
    vector[E] u = endpoint_effect_innovation;
    if (pooled) {
      vector[E] shared = sqrt(endpoint_correlation[1]) * common_effect_innovation[1]
                         + sqrt(1 - endpoint_correlation[1]) * endpoint_effect_innovation;
      u = in_pool .* shared + (1 - in_pool) .* endpoint_effect_innovation;
    }
    vector[E] theta = effect_prior_mean + effect_prior_sd .* u;
    matrix[E, V - 1] effect = rep_matrix(theta, V - 1) .* effect_profile;
    if (walks) {
      matrix[W, V - 1] walk = running_sum(visit_pooling_sd * effect_visit_innovation[1]
                                          .* rep_matrix(sqrt(dt[2:(V - 1)])', W));
      effect += walk_select * (walk - rep_matrix(walk[:, ref], V - 1));
    }
    for (e in 1:E) {
      row_vector[V] control_change = scale[e] * control[e];
      row_vector[V] effect_change = append_col(0, sign[e] * scale[e] * effect[e]);
      int at = (e - 1) * 2 * V;
      state[(at + 1):(at + V)] = (control_change + effect_change)';
      state[(at + V + 1):(at + 2 * V)] = control_change';
    }
    state[(2 * E * V + 1):S] = baseline;
  }
}

model {
  if (piecewise_linear) {
    control_slope[1] ~ normal(0, control_slope_sd);
    to_vector(control_slope_innovation[1]) ~ std_normal();
  } else {
    to_vector(control_level_innovation[1]) ~ std_normal();
  }
  endpoint_effect_innovation ~ std_normal();
  if (pooled) {
    endpoint_correlation[1] ~ beta(pooling_a, pooling_b);
    common_effect_innovation[1] ~ std_normal();
  }
  if (walks) {
    to_vector(effect_visit_innovation[1]) ~ std_normal();
  }
  baseline ~ normal(0, baseline_prior_sd * scale);

  if (n_summaries > 0) {
    summary_observed ~ normal(summary_map * state, summary_se);
  }
  if (n_groups > 0) {
    rho ~ beta(rho_a, rho_b);
    vector[n_vector] mean_vector = vector_map * state;
    for (g in 1:n_groups) {
      int a = group_start[g];
      int b = a + group_size[g] - 1;
      real r = rho_fixed * rho_fixed_value + (1 - rho_fixed) * rho[group_endpoint[g]];
      matrix[group_size[g], group_size[g]] cov
        = visit_correlation(vector_years[a:b], r, compound_symmetry)
          .* (vector_se[a:b] * vector_se[a:b]') .* vector_overlap[a:b, a:b];
      vector_observed[a:b] ~ multi_normal(mean_vector[a:b], cov);
    }
  }
  if (n_external > 0) {
    vector[n_external] mu = external_map * state;
    for (i in 1:n_external) {
      real informative = normal_lpdf(external_observed[i] | mu[i], external_se[i]);
      if (mixture) {
        target += log_mix(external_weight[i], informative,
                          normal_lpdf(external_observed[i] | mu[i], external_vague_se[i]));
      } else {
        target += external_weight[i] * informative;
      }
    }
  }
}
